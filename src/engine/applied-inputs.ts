/**
 * Which inputs were applied already, so that a repeat (a webhook redelivered, a client's
 * retry, a CloudEvent sent twice) is answered `ignored` and never applied twice. Memory
 * keeps the ids of the inputs applied lately (bounded: EngineCaps.recentInputs); an id it
 * does not hold (forgotten, or applied before this process started) is asked of the store,
 * once per batch for all such ids of the batch: an applied input's events carry ids
 * `<inputId>.0`, `<inputId>.1`, … (core Tx.emit), so its first event is found on the log's
 * unique id index. Deciding such a repeat again would write those event ids a second time:
 * the store would refuse the whole batch's commit.
 */
import type { Store } from '../store/index.js';

export class AppliedInputs {
  private readonly recent = new Set<string>();

  constructor(
    private readonly store: Pick<Store, 'appliedInputs'>,
    private readonly cap: number,
  ) {}

  /** Applied lately, as far as memory knows. */
  has(id: string): boolean {
    return this.recent.has(id);
  }

  /** Inputs whose commit is durable; the oldest are forgotten above the cap (down to 80 % of it, so not on every batch). */
  remember(ids: Iterable<string>): void {
    for (const id of ids) this.recent.add(id);
    if (this.recent.size <= this.cap) return;
    let drop = this.recent.size - Math.floor(this.cap * 0.8);
    for (const id of this.recent) {
      if (drop-- <= 0) break;
      this.recent.delete(id);
    }
  }

  /**
   * Of a batch's input ids, those memory does not hold (nor `pending`: the inputs of the
   * commit in flight, not durable yet) that the store has applied. One query, none when
   * memory knows them all. Read while a commit is in flight: every other earlier commit is durable.
   */
  async inStore(ids: readonly string[], pending: ReadonlySet<string> | undefined): Promise<ReadonlySet<string>> {
    const unknown = ids.filter((id) => !this.recent.has(id) && !pending?.has(id));
    return unknown.length === 0 ? new Set() : this.store.appliedInputs(unknown);
  }
}
