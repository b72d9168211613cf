/**
 * The event log as short lines, for asserting order: read from the store (what was
 * committed), not from memory.
 *   run:   `hardening/delivery run.finished failed/fail`
 *   task:  `hardening/delivery/evaluation.finished fail`
 */
import type { RunFinishedData, RunQueuedData, SlipwayEvent, TaskEventData } from '../../../src/core/index.js';
import { EVENT_PREFIX, parseTaskEventType } from '../../../src/core/index.js';
import type { Store } from '../../../src/store/index.js';

export interface Line {
  seq: number;
  text: string;
  event: SlipwayEvent;
  runId?: string;
  stage?: string;
  sequence?: string;
  /** `run.queued`, `run.started`, …, `task.triggered`, … or the type without its prefix. */
  what: string;
}

export async function timeline(store: Store): Promise<Line[]> {
  const runs = new Map<string, { stage: string; sequence: string }>();
  const lines: Line[] = [];
  for (const { seq, event } of await store.events({})) {
    const type = event.type.startsWith(EVENT_PREFIX) ? event.type.slice(EVENT_PREFIX.length) : event.type;
    const runId = event.runid;
    if (type === 'run.queued' && runId) {
      const { run } = event.data as unknown as RunQueuedData;
      runs.set(runId, { stage: run.stage, sequence: run.sequence });
    }
    const known = runId ? runs.get(runId) : undefined;
    const stage = (event.data as { stage?: string }).stage ?? known?.stage;
    const sequence = known?.sequence;
    const where = `${stage ?? '?'}/${sequence ?? '?'}`;
    const task = parseTaskEventType(event.type);
    let text: string;
    let what = type;
    if (task) {
      const d = event.data as unknown as TaskEventData;
      what = `task.${task.phase}`;
      text = `${where}/${task.task}.${task.phase}${task.phase === 'finished' ? ` ${d.result ?? '?'}` : ''}`;
    } else if (type.startsWith('run.')) {
      const d = event.data as unknown as RunFinishedData;
      text = `${where} ${type}${type === 'run.finished' ? ` ${d.state}/${d.result ?? '-'}` : ''}`;
    } else {
      text = type;
    }
    lines.push({ seq, text, event, what, ...(runId ? { runId } : {}), ...(stage ? { stage } : {}), ...(sequence ? { sequence } : {}) });
  }
  return lines;
}

/** Only the lines whose `what` is one of `kinds` (e.g. `run.started`, `task.finished`), as text. */
export async function lines(store: Store, ...kinds: string[]): Promise<string[]> {
  return (await timeline(store)).filter((l) => kinds.length === 0 || kinds.includes(l.what)).map((l) => l.text);
}
