/**
 * CloudEvents posted by outside executors, in structured (`application/cloudevents+json`)
 * or binary (`ce-*` headers) HTTP mode, read with the CloudEvents SDK and turned into
 * engine inputs. Only `sh.slipway.task.<task>.started` and `.finished` are accepted; the
 * task is named by the `taskid` extension or the subject, the claim by the `executor` and
 * `leasetoken` extensions (from the claim answer, or the pushed event). Where the event
 * says which project, stage or run it is about, that must be the task's.
 *
 * The input id is derived from the event id together with the task and the phase, so a
 * repeated event is recognised while a producer reusing one id for different events
 * cannot collide with anything else in the log.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CloudEvent } from 'cloudevents';
import { HTTP } from 'cloudevents';
import type { ExecutorActor, Run, TaskFinishedInput, TaskStartedInput } from '../core/index.js';
import { SlipwayError, parseTaskId } from '../core/index.js';
import { mediaType } from './content.js';
import { FinishBody } from './schemas/common.js';

const TYPE = /^sh\.slipway\.task\.([^.]+)\.(started|finished)$/;
const REQUIRED = ['id', 'source', 'type', 'specversion'] as const;

function invalid(message: string, field: string): SlipwayError {
  return new SlipwayError('INVALID_INPUT', message, { field });
}

/** Parses and validates the event; INVALID_INPUT naming the attribute at fault. */
export function readCloudEvent(headers: IncomingHttpHeaders, body: unknown): CloudEvent<unknown> {
  const structured = mediaType(headers['content-type']) === 'application/cloudevents+json';
  for (const attr of REQUIRED) {
    const present = structured ? typeof body === 'object' && body !== null && (body as Record<string, unknown>)[attr] !== undefined : headers[`ce-${attr}`] !== undefined;
    if (!present) {
      const how = structured ? `the event needs the attribute '${attr}'` : `binary mode needs the header ce-${attr} (or send Content-Type: application/cloudevents+json with the whole event)`;
      throw invalid(how, attr);
    }
  }
  const version = structured ? (body as Record<string, unknown>)['specversion'] : headers['ce-specversion'];
  if (version !== '1.0') throw invalid(`specversion must be '1.0' (CloudEvents 1.0), got ${JSON.stringify(version)}`, 'specversion');
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') clean[k] = v;
  clean['content-type'] = structured ? 'application/cloudevents+json' : 'application/json';
  let ce: CloudEvent<unknown>;
  try {
    const parsed = HTTP.toEvent({ headers: clean, body: body as string | Record<string, unknown> });
    if (Array.isArray(parsed)) throw invalid('send one event, not a batch', 'body');
    ce = parsed as CloudEvent<unknown>;
    ce.validate();
  } catch (e) {
    if (e instanceof SlipwayError) throw e;
    const errs = (e as { errors?: unknown[] }).errors;
    const first = Array.isArray(errs) && errs.length > 0 ? errs[0] : undefined;
    const field = (first as { instancePath?: string } | undefined)?.instancePath?.replace(/^\//, '') || 'body';
    throw new SlipwayError('INVALID_INPUT', `not a valid CloudEvent: ${(e as Error).message.split('\n').join(' ').trim()}`, { field }, { cause: e });
  }
  return ce;
}

/** The task id the event names (the `taskid` extension, else the subject). */
export function taskIdOf(ce: CloudEvent<unknown>): string | undefined {
  return typeof ce['taskid'] === 'string' ? ce['taskid'] : ce.subject;
}

/** The claim the event names: `executor` and `leasetoken` extension attributes. */
export function claimOf(ce: CloudEvent<unknown>): { executor?: string; leaseToken?: string } {
  const executor = ce['executor'];
  const leaseToken = ce['leasetoken'];
  return { ...(typeof executor === 'string' ? { executor } : {}), ...(typeof leaseToken === 'string' ? { leaseToken } : {}) };
}

/**
 * Refuses an event that names another project, stage or run than its task's, in whichever
 * of these it carries: the `project`, `stage`, `runid` extensions, a `source` whose path
 * has Slipway's form (`…/projects/<p>[/stages/<s>]…`), or `data.project` / `data.stage` /
 * `data.runId`. Other sources (the executor's own, `urn:ci`) are the producer's business.
 */
export function checkTaskAttributes(ce: CloudEvent<unknown>, run: Run): void {
  const taskId = taskIdOf(ce) ?? '';
  const expect = (field: string, given: unknown, want: string, what: string) => {
    if (given === undefined || given === want) return;
    throw invalid(`${field} names ${what} ${JSON.stringify(given)}, but task '${taskId}' belongs to ${what} '${want}'; report a task's outcome only with its own ${what}`, field);
  };
  expect('project', ce['project'], run.project, 'project');
  expect('stage', ce['stage'], run.stage, 'stage');
  expect('runid', ce['runid'], run.id, 'run');
  const m = /(?:^|\/)projects\/([^/?#]+)(?:\/stages\/([^/?#]+))?/.exec(ce.source);
  if (m) {
    expect('source', m[1], run.project, 'project');
    if (m[2] !== undefined) expect('source', m[2], run.stage, 'stage');
  }
  if (typeof ce.data === 'object' && ce.data !== null && !Array.isArray(ce.data)) {
    const d = ce.data as Record<string, unknown>;
    expect('data.project', d['project'], run.project, 'project');
    expect('data.stage', d['stage'], run.stage, 'stage');
    expect('data.runId', d['runId'], run.id, 'run');
    expect('data.runid', d['runid'], run.id, 'run');
  }
}

export function toTaskInput(ce: CloudEvent<unknown>, by: string, actor: ExecutorActor): TaskStartedInput | TaskFinishedInput {
  const m = TYPE.exec(ce.type);
  if (!m) throw invalid(`event type '${ce.type}' is not accepted here; post sh.slipway.task.<task>.started or sh.slipway.task.<task>.finished`, 'type');
  const [, task, phase] = m as unknown as [string, string, 'started' | 'finished'];
  const taskId = taskIdOf(ce);
  if (taskId === undefined) throw invalid('name the task with the taskid extension attribute (or the subject): <runId>.<task>.<attempt>', 'taskid');
  const parsed = parseTaskId(taskId);
  if (!parsed) throw invalid(`'${taskId}' is not a task id; task ids look like <runId>.<task>.<attempt>`, 'taskid');
  if (parsed.task !== task) throw invalid(`event type names task '${task}' but task id '${taskId}' is task '${parsed.task}'`, 'type');
  const id = `ce:${taskId}:${phase}:${ce.id}`;
  if (phase === 'started') return { type: 'task.started', id, taskId, by, actor };
  const data = FinishBody.safeParse(ce.data);
  if (!data.success) {
    const issue = data.error.issues[0]!;
    throw invalid(`data.${issue.path.join('.') || ''}: ${issue.message}; a .finished event carries data {result: pass|warning|fail, message?, output?}`.replace('data.:', 'data:'), `data${issue.path.length ? `.${issue.path.join('.')}` : ''}`);
  }
  return {
    type: 'task.finished',
    id,
    taskId,
    by,
    actor,
    result: data.data.result,
    ...(data.data.message !== undefined ? { message: data.data.message } : {}),
    ...(data.data.output !== undefined ? { output: data.data.output } : {}),
  };
}
