/**
 * The routing table: one immutable set of slots built from `setSlots`, swapped in a single
 * assignment so every request sees either the old table or the new one, never a mix.
 * Weighted choice is smooth weighted round-robin (nginx's): deterministic, and within any
 * window of `total` requests each slot gets exactly its weight.
 */
import type { Dispatcher } from 'undici';
import { SlipwayError } from '../../core/index.js';
import type { MirrorSpec, RoutingOptions, SlotMap, Upstream } from './types.js';

export interface Slot {
  readonly name: string;
  readonly weight: number;
  readonly upstreams: readonly Upstream[];
  readonly pools: readonly Dispatcher[];
  /** Round-robin position over upstreams. */
  next: number;
  /** Smooth weighted round-robin state. */
  current: number;
}

export interface MirrorState {
  readonly slot: Slot;
  readonly share: number;
  /** Accumulates `share` per request; a request is mirrored each time it reaches 1. */
  credit: number;
}

const SLOT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export class RoutingTable {
  private readonly weighted: Slot[];
  private readonly total: number;

  private constructor(
    readonly slots: ReadonlyMap<string, Slot>,
    readonly mirror: MirrorState | undefined,
  ) {
    this.weighted = [...slots.values()].filter((s) => s.weight > 0);
    this.total = this.weighted.reduce((sum, s) => sum + s.weight, 0);
  }

  static empty(): RoutingTable {
    return new RoutingTable(new Map(), undefined);
  }

  static build(spec: SlotMap, opts: RoutingOptions, poolFor: (u: Upstream) => Dispatcher): RoutingTable {
    const slots = new Map<string, Slot>();
    for (const [name, s] of Object.entries(spec)) {
      checkSlot(name, s.weight, s.upstreams);
      const upstreams = s.upstreams.map((u) => ({ host: u.host, port: u.port }));
      slots.set(name, { name, weight: s.weight, upstreams, pools: upstreams.map(poolFor), next: 0, current: 0 });
    }
    return new RoutingTable(slots, opts.mirror && mirrorState(opts.mirror, slots));
  }

  get(name: string): Slot | undefined {
    return this.slots.get(name);
  }

  /** The next slot by weight, or undefined when no slot has a weight. */
  pick(): Slot | undefined {
    const w = this.weighted;
    if (w.length === 1) return w[0];
    let best: Slot | undefined;
    for (const s of w) {
      s.current += s.weight;
      if (!best || s.current > best.current) best = s;
    }
    if (best) best.current -= this.total;
    return best;
  }

  /** Whether this request should also go to the mirror slot. */
  mirrorNext(): Slot | undefined {
    const m = this.mirror;
    if (!m) return undefined;
    m.credit += m.share;
    if (m.credit < 1) return undefined;
    m.credit -= 1;
    return m.slot;
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  /** The table as `setSlots` was given it. */
  spec(): { slots: SlotMap; mirror?: MirrorSpec } {
    const slots = Object.fromEntries([...this.slots.values()].map((s) => [s.name, { upstreams: s.upstreams, weight: s.weight }]));
    return this.mirror ? { slots, mirror: { slot: this.mirror.slot.name, share: this.mirror.share } } : { slots };
  }
}

/** The index of the slot's next upstream, round-robin. */
export function nextIndex(slot: Slot): number {
  const i = slot.next;
  slot.next = i + 1 >= slot.pools.length ? 0 : i + 1;
  return i;
}

export const nextPool = (slot: Slot): Dispatcher => slot.pools[nextIndex(slot)]!;

function invalid(message: string, field: string): SlipwayError {
  return new SlipwayError('INVALID_INPUT', message, { field });
}

function checkSlot(name: string, weight: number, upstreams: readonly Upstream[]): void {
  if (!SLOT_NAME.test(name)) throw invalid(`slot name '${name}' is not valid; use 1-64 letters, digits, '.', '_' or '-'`, 'slots');
  if (!Number.isInteger(weight) || weight < 0) {
    throw invalid(`slot '${name}' has weight ${weight}; a weight is an integer of 0 or more`, `slots.${name}.weight`);
  }
  if (upstreams.length === 0) throw invalid(`slot '${name}' has no upstreams; give it at least one {host, port} or leave the slot out`, `slots.${name}.upstreams`);
  for (const u of upstreams) {
    if (!u.host || !Number.isInteger(u.port) || u.port < 1 || u.port > 65535) {
      throw invalid(`slot '${name}' has upstream ${u.host}:${u.port}; give a host and a port from 1 to 65535`, `slots.${name}.upstreams`);
    }
  }
}

function mirrorState(m: MirrorSpec, slots: ReadonlyMap<string, Slot>): MirrorState | undefined {
  const slot = slots.get(m.slot);
  if (!slot) throw invalid(`mirror slot '${m.slot}' is not one of the slots (${[...slots.keys()].join(', ') || 'none'})`, 'mirror.slot');
  if (!(m.share >= 0 && m.share <= 1)) throw invalid(`mirror share ${m.share} is not a fraction; give a number from 0 to 1`, 'mirror.share');
  return m.share === 0 ? undefined : { slot, share: m.share, credit: 0 };
}
