/**
 * The built-in executors, one module per task kind, and MockExecutorContext for testing
 * an executor without the engine. This file is the folder's only public door.
 */
import type { Executor } from '../engine/executor.js';
import { createAlarmCheckExecutor } from './alarm-check.js';
import { createApprovalExecutor } from './approval.js';
import { createEvaluationExecutor, type EvaluationExecutorOptions } from './evaluation.js';
import { createGateExecutor, type GateExecutorOptions } from './gate/index.js';
import { createGitTagExecutor } from './git-tag.js';
import { createNoopExecutor } from './noop.js';
import { createMigrateExecutor } from './migrate.js';
import { createShellExecutor, type ShellExecutorOptions } from './shell.js';
import { createWaitExecutor } from './wait.js';
import { createWebhookExecutor, type WebhookExecutorOptions } from './webhook.js';

export interface BuiltinExecutorOptions {
  shell?: ShellExecutorOptions;
  webhook?: WebhookExecutorOptions;
  evaluation?: EvaluationExecutorOptions;
  gate?: GateExecutorOptions;
}

/** One executor per built-in kind: shell, wait, approval, webhook, noop, gate. */
export function builtinExecutors(opts: BuiltinExecutorOptions = {}): Executor[] {
  return [
    createShellExecutor(opts.shell),
    createWaitExecutor(),
    createAlarmCheckExecutor(),
    createApprovalExecutor(),
    createWebhookExecutor(opts.webhook),
    createNoopExecutor(),
    createEvaluationExecutor(opts.evaluation),
    createGateExecutor(opts.gate),
    createGitTagExecutor(),
    createMigrateExecutor(opts.shell),
  ];
}

export { createApprovalExecutor } from './approval.js';
export { createAlarmCheckExecutor } from './alarm-check.js';
export { createEvaluationExecutor, type EvaluationExecutorOptions, type EvaluationRecord } from './evaluation.js';
export { createGateExecutor, parseGate, type GateExecutorOptions, type GateProgress, type GateSpec } from './gate/index.js';
export { formatDurationMs, parseDurationMs } from './duration.js';
export {
  MockExecutorContext,
  mockExecutorContext,
  type MockExecutorContextOptions,
  type RecordedHeartbeat,
  type RecordedLog,
} from './mock-context.js';
export { createNoopExecutor } from './noop.js';
export { createMigrateExecutor } from './migrate.js';
export { describeSource, migrationId, sourceOf, type MigrationSource } from './migrate-source.js';
export { LEDGER_TABLE } from './migrate-ledger.js';
export { createGitTagExecutor, tagNameProblem } from './git-tag.js';
export { createShellExecutor, type ShellExecutorOptions } from './shell.js';
export { artifactVariable } from './shell-env.js';
export { taskFiles as shellTaskFiles, type TaskFiles as ShellTaskFiles } from './shell-files.js';
export { ShellLogReader, type LogChunk } from './shell-log.js';
export { createWaitExecutor } from './wait.js';
export { createWebhookExecutor, defaultWebhookBody, type WebhookExecutorOptions } from './webhook.js';
export { createDeployExecutor, createReleaseExecutor, createRestartExecutor, planOf } from './deploy/index.js';
export { createFlagExecutor, type FlagExecutorOptions } from './flag.js';
export type { Plan, Step, Strategy, Targets } from './deploy/index.js';
export { createLoadtestExecutor, createTrafficCompareExecutor } from './loadtest/index.js';
export type { JudgedLevel, LevelFigures, TrafficDeps, TrafficSource } from './loadtest/index.js';
