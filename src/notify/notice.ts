/**
 * A notice: one thing people should hear about, built once when it is queued and formatted
 * for each sink when it is sent. It holds names and ids only (never a secret value), so it
 * can sit in the store's queue and in the status answer.
 */
import type { Artifacts, NotificationTopic } from '../core/index.js';

export interface Actor {
  /** What they did: `triggered`, `approved`, `rolled back`, `opened`. */
  role: string;
  /** `token:<name>`, `user:<name>`, `automation`, as the event log says. */
  who: string;
}

export interface Notice {
  /** Stable per happening (the event id, or `freeze:<window>:<start>:started`): part of the delivery id. */
  id: string;
  topic: NotificationTopic;
  project: string;
  /** UTC ms it happened. */
  at: number;
  /** One line: what happened. */
  title: string;
  stage?: string;
  release?: { id: string; artifacts: Artifacts; commit?: string; author?: string };
  runId?: string;
  actors: Actor[];
  reason?: string;
  freeze?: { window: string; stages: string[]; appliesTo: string; timeZone: string; start: number; end: number; reason?: string };
  pr?: { number: number; environmentUrl?: string; url?: string; title?: string; branch?: string };
  /** `slipway notifications test`: not a real happening. */
  test?: boolean;
}

/** Whether a sink filtered to `stages` hears about `n` (freeze notices: a window holding one of them). */
export function concerns(n: Notice, stages: readonly string[] | undefined): boolean {
  if (!stages) return true;
  if (n.freeze) return n.freeze.stages.includes('*') || n.freeze.stages.some((s) => stages.includes(s));
  return n.stage === undefined || stages.includes(n.stage);
}

/** `rel-3f2a…` shortened for titles: long ids make unreadable chat lines. */
export function shortId(id: string): string {
  return id.length > 16 ? id.slice(0, 16) : id;
}

/** `web=registry/web:1.4.2, api=…` */
export function artifactLine(a: Artifacts): string {
  return Object.entries(a)
    .map(([s, ref]) => `${s}=${ref}`)
    .join(', ');
}
