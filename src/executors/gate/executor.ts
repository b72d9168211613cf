/**
 * `gate`: a release gate. Each sample reads every signal at once and suspends until the next
 * one (a durable timer, not a setTimeout), keeping its readings in `progress` so each sample is
 * a `.waiting` event with every signal's value, and a restart continues where it stopped. A
 * signal that cannot be read fails its sample, with the reason; it does not fail the task. A
 * person may end the wait: `skip` passes, `stop` fails.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../../engine/executor.js';
import { parseDurationMs } from '../duration.js';
import { assertValid } from '../properties.js';
import { describeReason } from '../reason.js';
import { attribution, unknownSignal } from '../signals.js';
import { afterSample, waitStep, type Step } from './loop.js';
import { progressRecord, readProgress, type GateProgress } from './progress.js';
import { bounded, type Reading } from './signal.js';
import { DEFAULTS, gateProblems, parseGate, type GateSpec } from './spec.js';

const SIGNALS = ['timer', 'stop', 'skip'] as const;
/** After the gate's own timeout the task needs time for its last sample and report. */
const TIMEOUT_MARGIN_MS = 5 * 60_000;

export interface GateExecutorOptions {
  /** How long one signal's read may take before its sample counts it as failing (default 10 s). */
  signalTimeoutMs?: number;
}

function specOf(ctx: ExecutorContext): GateSpec {
  const parsed = parseGate(ctx.task.properties);
  // Properties with secrets are checked again here, with their values.
  assertValid('gate', ctx.task.name, 'problems' in parsed ? parsed.problems : []);
  return (parsed as { spec: GateSpec }).spec;
}

/**
 * Reads every signal at once; a read that throws or takes longer than `timeoutMs` is a failing
 * reading. The time limit is a plain timer that also settles the read: a reader that ignores its
 * signal cannot stall the gate, and nothing relies on AbortSignal.any keeping a timeout signal
 * alive (Node 20 may collect one that only a composite signal refers to, and it never fires).
 */
export async function takeSample(ctx: ExecutorContext, spec: GateSpec, at: number, timeoutMs: number): Promise<Reading[]> {
  return Promise.all(
    spec.signals.map(async (s): Promise<Reading> => {
      const controller = new AbortController();
      const fail = (detail: string): Reading => ({ name: s.name, type: s.type, pass: false, value: null, detail: bounded(detail) });
      const onAbort = () => controller.abort(ctx.signal.reason);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Reading>((resolve) => {
        timer = setTimeout(() => {
          controller.abort(new Error(`no answer within ${timeoutMs} ms`));
          resolve(fail(`could not be read: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      const read = s.read({ ctx, signal: controller.signal, timeoutMs, now: at }).then(
        (r): Reading => ({ name: s.name, type: s.type, pass: r.pass, value: r.value, detail: bounded(r.detail) }),
        (err: unknown) => fail(`could not be read: ${err instanceof Error ? err.message : String(err)}`),
      );
      try {
        return await Promise.race([read, late]);
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    }),
  );
}

function outcome(step: Step): TaskOutcome {
  const progress = progressRecord(step.progress);
  if (step.kind === 'wait') return { suspend: { until: step.until, waitingFor: 'stop|skip', message: step.message, progress } };
  return { result: step.kind, message: step.message, output: progress };
}

export function createGateExecutor(opts: GateExecutorOptions = {}): Executor {
  const signalTimeoutMs = opts.signalTimeoutMs ?? 10_000;

  async function step(ctx: ExecutorContext, progress: GateProgress): Promise<TaskOutcome> {
    const spec = specOf(ctx);
    const startedAt = ctx.task.triggeredAt;
    const due = progress.nextAt ?? startedAt + spec.delayMs;
    const now = ctx.now();
    // During the delay, after a re-dispatch, or when a timer fires early: wait out the rest.
    if (now < due) return outcome(waitStep(ctx.task.name, spec, startedAt, progress));
    const readings = await takeSample(ctx, spec, now, signalTimeoutMs);
    if (ctx.signal.aborted) return { result: 'fail', message: `gate ${ctx.task.name}: ${describeReason(ctx.signal.reason)}` };
    const next = afterSample(ctx.task.name, spec, startedAt, progress, readings, now);
    if (next.kind !== 'wait') ctx.log.info('gate decided', { result: next.kind, samples: next.progress.samples });
    return outcome(next);
  }

  return {
    kind: 'gate',
    validate: gateProblems,
    defaultTimeoutMs(props) {
      return (parseDurationMs(props.timeout) ?? DEFAULTS.timeoutMs) + TIMEOUT_MARGIN_MS;
    },
    async execute(ctx): Promise<TaskOutcome> {
      // Progress is present when the task was re-dispatched after a restart mid-sample.
      return step(ctx, readProgress(ctx.task.progress));
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      const progress = readProgress(ctx.task.progress);
      const output = progressRecord(progress);
      switch (resumption.signal) {
        case 'timer':
          return step(ctx, progress);
        case 'skip':
          return { result: 'pass', message: `gate ${ctx.task.name} skipped${attribution(resumption, 'reason')}`, output };
        case 'stop':
          return { result: 'fail', message: `gate ${ctx.task.name} stopped${attribution(resumption, 'reason')}`, output };
        default:
          throw unknownSignal('gate', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
