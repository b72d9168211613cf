/**
 * `shell`: runs `properties.run` with `sh -c`, at most once per task id even when Slipway
 * is killed while it runs. Before starting anything it looks at the task's files: a
 * recorded exit status is the outcome; a live process carrying this task id is adopted and
 * watched to its end; a pid with neither means the command died unrecorded and it fails
 * rather than running twice. Only a task with no files starts the command.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NonRetryableTaskError, type Executor, type ExecutorContext, type TaskOutcome } from '../engine/executor.js';
import { formatDurationMs } from './duration.js';
import { assertValid, describe, isStringMap, stringMapProblems, type Problem, type Properties } from './properties.js';
import { describeReason, isShutdown } from './reason.js';
import { shellEnvironment } from './shell-env.js';
import { readExitStatus, readLogTail, readPid, runsTask, taskFiles, type TaskFiles } from './shell-files.js';
import { commandOutcome, type CommandEnd } from './shell-outcome.js';
import { startCommand } from './shell-process.js';
import { pollUntilEnded, supervise, type Supervised } from './shell-supervise.js';

export interface ShellExecutorOptions {
  /** Bytes of output kept in the outcome (the log's tail). Default 16 KiB. */
  outputLimitBytes?: number;
  /** Between SIGTERM and SIGKILL when the command is stopped. Default 5 s. */
  killGraceMs?: number;
  /** The log file stops growing here. Default 1 MiB. */
  logLimitBytes?: number;
  heartbeatIntervalMs?: number;
  /** How often an adopted command (no longer our child) is checked. Default 250 ms. */
  pollIntervalMs?: number;
}

function problems(props: Properties): Problem[] {
  const out: Problem[] = [];
  if (typeof props.run !== 'string' || props.run.trim() === '') {
    out.push({ field: 'run', message: `run must be a non-empty command string, got ${describe(props.run)}` });
  }
  if (props.cwd !== undefined && typeof props.cwd !== 'string') {
    out.push({ field: 'cwd', message: `cwd must be a directory path, got ${describe(props.cwd)}` });
  }
  const code = props.warningExitCode;
  if (code !== undefined && !(Number.isInteger(code) && (code as number) >= 1 && (code as number) <= 255)) {
    out.push({ field: 'warningExitCode', message: `warningExitCode must be an integer 1-255, got ${describe(code)}` });
  }
  out.push(...stringMapProblems(props, 'env'));
  for (const name of isStringMap(props.env) ? Object.keys(props.env) : []) {
    if (name.startsWith('SLIPWAY_')) out.push({ field: `env.${name}`, message: `${name} is set by Slipway; rename it` });
  }
  return out;
}

/** The command has ended: a secret value it printed does not stay in the data directory. */
async function redactLog(ctx: ExecutorContext, log: string): Promise<void> {
  if (!ctx.redact) return;
  const text = await readFile(log, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const clean = ctx.redact(text);
  if (clean === text) return;
  // A new file, not a rewrite in place: a reader following the log (shell-log.ts) tells by the inode.
  await writeFile(`${log}.tmp`, clean);
  await rename(`${log}.tmp`, log);
}

export function createShellExecutor(options: ShellExecutorOptions = {}): Executor {
  const opts = {
    outputLimitBytes: options.outputLimitBytes ?? 16 * 1024,
    killGraceMs: options.killGraceMs ?? 5000,
    logLimitBytes: options.logLimitBytes ?? 1024 * 1024,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    pollIntervalMs: options.pollIntervalMs ?? 250,
  };
  // A duplicate dispatch while the first is still in flight joins it instead of racing it.
  const inFlight = new Map<string, Promise<TaskOutcome>>();

  async function settle(ctx: ExecutorContext, files: TaskFiles, end: CommandEnd): Promise<TaskOutcome> {
    await redactLog(ctx, files.log);
    const tail = await readLogTail(files.log, opts.outputLimitBytes);
    ctx.log.info('command ended', { exitCode: end.ended?.exitCode, signal: end.ended?.signal, stop: end.stop });
    return commandOutcome(ctx, end, { tail, logFile: files.log }, ctx.task.properties.warningExitCode as number | undefined);
  }

  /** Throws when supervision let go of the command because Slipway is stopping. */
  function unlessDetached<T>(ctx: ExecutorContext, pid: number, watched: Supervised<T>): Supervised<T> {
    if (watched.stop !== 'detach') return watched;
    ctx.log.info('Slipway is stopping; leaving the command running', { pid });
    throw new Error(`Slipway is stopping; the command (pid ${pid}) keeps running and is adopted on the next dispatch`);
  }

  async function startFresh(ctx: ExecutorContext, files: TaskFiles): Promise<TaskOutcome> {
    if (ctx.signal.aborted) {
      if (isShutdown(ctx.signal.reason)) throw new Error('Slipway is stopping; the command was not started');
      return { result: 'fail', message: `aborted (${describeReason(ctx.signal.reason)}) before the command started` };
    }
    if (ctx.task.deadline <= ctx.now()) {
      const timeout = formatDurationMs(ctx.task.deadline - ctx.task.triggeredAt);
      return { result: 'fail', message: `timed out after ${timeout} before the command started` };
    }
    const props = ctx.task.properties;
    const cwd = resolve(ctx.run.projectDir, (props.cwd as string | undefined) ?? '.');
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      throw new NonRetryableTaskError(`shell task '${ctx.task.name}': cwd ${cwd} is not a directory`);
    }
    const env = shellEnvironment(ctx, isStringMap(props.env) ? props.env : {});
    const { pid, ended } = await startCommand(props.run as string, files, { cwd, env, logLimitBytes: opts.logLimitBytes });
    ctx.log.info('command started', { pid, cwd, logFile: files.log });
    return settle(ctx, files, unlessDetached(ctx, pid, await supervise(ctx, pid, ended, opts)));
  }

  async function adopt(ctx: ExecutorContext, files: TaskFiles, pid: number): Promise<TaskOutcome> {
    ctx.log.info('adopting the command left running before a restart', { pid });
    const cancel = new AbortController();
    const ended = pollUntilEnded(files, pid, ctx.task.id, opts.pollIntervalMs, cancel.signal);
    const watched = await supervise(ctx, pid, ended, opts).finally(() => cancel.abort());
    const { ended: end, stop } = unlessDetached(ctx, pid, watched);
    return settle(ctx, files, end ? { ended: end, stop, pid } : { stop, pid });
  }

  async function execute(ctx: ExecutorContext): Promise<TaskOutcome> {
    assertValid('shell', ctx.task.name, problems(ctx.task.properties));
    const files = taskFiles(ctx.workDir, ctx.task.id);
    await mkdir(ctx.workDir, { recursive: true });
    const status = await readExitStatus(files);
    if (status !== undefined) {
      ctx.log.info('command already finished before a restart; not running it again', { exitCode: status });
      return settle(ctx, files, { ended: { exitCode: status, signal: null } });
    }
    const pid = await readPid(files);
    if (pid === undefined) return startFresh(ctx, files);
    if (await runsTask(pid, ctx.task.id)) return adopt(ctx, files, pid);
    const late = await readExitStatus(files); // it may have ended between the two reads
    return settle(ctx, files, late === undefined ? { pid } : { ended: { exitCode: late, signal: null } });
  }

  return {
    kind: 'shell',
    validate: problems,
    execute(ctx) {
      const key = `${ctx.workDir}\0${ctx.task.id}`;
      const running = inFlight.get(key);
      if (running) return running;
      const outcome = execute(ctx).finally(() => inFlight.delete(key));
      inFlight.set(key, outcome);
      return outcome;
    },
    async cleanup(taskId, workDir) {
      // The outcome is committed: the pid and exit files have served. The log stays (bounded).
      const files = taskFiles(workDir, taskId);
      await Promise.all([rm(files.pid, { force: true }), rm(files.exit, { force: true }), rm(`${files.base}.status`, { force: true })]);
    },
  };
}
