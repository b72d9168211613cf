/**
 * A run: its tasks as a timeline with live status, what each left behind (shell output,
 * followed live while the command runs; gate samples, evaluation), the approvals given (who, when, why), and the actions a
 * person may take on it (abort, pause, resume, retry; approve / reject a waiting
 * approval; stop or skip a soak).
 */
import { enc, get, post, url } from '../api.js';
import { Action } from '../components/action.js';
import { StatePill } from '../components/badges.js';
import { LoadError, Loading } from '../components/errors.js';
import { LiveOutput } from '../components/live-output.js';
import { LoadtestReports } from '../components/loadtest-report.js';
import { TaskOutput } from '../components/task-output.js';
import { duration, short, time, tone } from '../format.js';
import { links } from '../router.js';
import type { Run, StoredEvent, Task } from '../types.js';
import { useLoad } from '../use-load.js';

const ACTIVE = ['queued', 'running', 'waiting', 'paused'];

export function RunPage({ id }: { id: string }) {
  const run = useLoad(() => get<Run>(`/api/v1/runs/${enc(id)}`), [id], (e) => e.runid === id);
  const events = useLoad(
    async () => (await get<{ events: StoredEvent[] }>(url('/api/v1/events', { run: id, limit: '1000', last: 'true' }))).events,
    [id],
    (e) => e.runid === id,
  );
  const r = run.data;
  if (!r) return run.error ? <LoadError error={run.error} /> : <Loading />;
  const outputs = new Map<string, Record<string, unknown>>();
  const approvals: { by: string; decision: string; at: number; comment?: string; counts?: boolean; why?: string }[] = [];
  for (const { event } of events.data ?? []) {
    const d = event.data as { output?: Record<string, unknown>; by?: string; decision?: string; givenAt?: number; comment?: string; counts?: boolean; why?: string };
    if (event.taskid && d.output) outputs.set(event.taskid, d.output);
    if (event.type === 'sh.slipway.release.approval' && d.by && d.decision) approvals.push({ by: d.by, decision: d.decision, at: d.givenAt ?? Date.parse(event.time), ...(d.comment ? { comment: d.comment } : {}), ...(d.counts !== undefined ? { counts: d.counts } : {}), ...(d.why ? { why: d.why } : {}) });
  }
  const reason = (text: string) => (text ? { reason: text } : {});
  return (
    <section>
      <p class="crumbs">
        <a href={links.project(r.project)}>{r.project}</a> › {r.stage} › run
      </p>
      <h1>
        Run <span class="mono">{short(r.id, 20)}</span> <StatePill state={r.state} result={r.result} />
      </h1>
      <LoadError error={events.error} />
      <dl class="facts">
        <dt>Release</dt>
        <dd>
          <a href={links.release(r.project, r.releaseId)}>{r.releaseId}</a>
          {r.cause === 'rollback' && <span class="mark rolledback">rollback</span>}
        </dd>
        <dt>Stage</dt>
        <dd>
          {r.stage} ({r.sequence}) · services {r.services.map((s) => <a key={s} href={links.cell(r.project, r.stage, s)}>{s} </a>)}
        </dd>
        <dt>Set off by</dt>
        <dd>{r.triggeredBy ?? '—'}</dd>
        <dt>Queued · started · finished</dt>
        <dd>
          {time(r.queuedAt)} · {time(r.startedAt)} · {time(r.finishedAt)}
        </dd>
        {r.reason && (
          <>
            <dt>Why</dt>
            <dd>{r.reason}</dd>
          </>
        )}
        {r.rolledBackTo && (
          <>
            <dt>Rolled back to</dt>
            <dd>
              <a href={links.release(r.project, r.rolledBackTo)}>{r.rolledBackTo}</a>
            </dd>
          </>
        )}
        {r.frozen && (
          <>
            <dt>Frozen</dt>
            <dd>
              held by {r.frozen.windows.join(', ')} until {time(r.frozen.until)}
            </dd>
          </>
        )}
      </dl>
      <div class="actions" aria-label="Run actions" role="group">
        {ACTIVE.includes(r.state) && <Action label="Abort" danger input="Reason" confirm={<p>Abort this run: tasks in flight are told to stop and nothing more runs.</p>} run={(t) => post(`/api/v1/runs/${enc(r.id)}/abort`, reason(t))} onDone={run.reload} />}
        {(r.state === 'running' || r.state === 'waiting') && <Action label="Pause" input="Reason" confirm={<p>Pause this run: tasks in flight finish, no new task starts.</p>} run={(t) => post(`/api/v1/runs/${enc(r.id)}/pause`, reason(t))} onDone={run.reload} />}
        {r.state === 'paused' && <Action label="Resume" confirm={<p>Resume this run from where it paused.</p>} run={() => post(`/api/v1/runs/${enc(r.id)}/resume`, {})} onDone={run.reload} />}
        {(r.state === 'failed' || r.state === 'aborted') && <Action label="Retry" input="Reason" confirm={<p>Queue this run again from its failed step; its tasks run as their next attempt.</p>} run={(t) => post(`/api/v1/runs/${enc(r.id)}/retry`, reason(t))} onDone={run.reload} />}
      </div>
      <h2>Tasks</h2>
      <ol class="timeline">
        {r.tasks.map((t) => (
          <TaskItem key={t.id} runId={r.id} t={t} output={outputs.get(t.id)} onDone={run.reload} />
        ))}
      </ol>
      {r.tasks.some((t) => t.kind === 'loadtest') && <LoadtestReports runId={r.id} />}
      <h2>Approvals</h2>
      {approvals.length === 0 ? (
        <p class="muted">None given on this run.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">Decision</th>
              <th scope="col">When</th>
              <th scope="col">Comment</th>
              <th scope="col">Counted</th>
            </tr>
          </thead>
          <tbody>
            {approvals.map((a, i) => (
              <tr key={i}>
                <td>{a.by}</td>
                <td class={a.decision === 'approve' ? 'good-text' : 'bad-text'}>{a.decision}</td>
                <td>{time(a.at)}</td>
                <td>{a.comment ?? '—'}</td>
                <td>{a.counts === false ? `no: ${a.why ?? ''}` : 'yes'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TaskItem({ runId, t, output, onDone }: { runId: string; t: Task; output: Record<string, unknown> | undefined; onDone: () => void }) {
  const took = t.startedAt !== null ? duration((t.finishedAt ?? Date.now()) - t.startedAt) : null;
  const waiting = t.state === 'waiting';
  return (
    <li class={`task ${tone(t.state, t.result)}`} data-task={t.name} data-state={t.state}>
      <div class="task-head">
        <span class="task-name">{t.name}</span>
        <span class="muted">
          {t.kind} · step {t.step + 1}
          {t.attempt > 1 ? ` · attempt ${t.attempt}` : ''}
        </span>
        <StatePill state={t.state} result={t.result} />
        {took && <span class="muted">{took}</span>}
      </div>
      {t.message && <p class="task-msg">{t.message}</p>}
      {waiting && t.waitUntil !== null && <p class="muted">until {time(t.waitUntil)}</p>}
      {t.by && <p class="muted">by {t.by}</p>}
      {waiting && t.kind === 'approval' && (
        <div class="actions" role="group" aria-label={`Answer ${t.name}`}>
          <Action label="Approve" input="Comment" confirm={<p>Approve <b>{t.name}</b>: the run goes on when the policy is met.</p>} run={(c) => post(`/api/v1/tasks/${enc(t.id)}/approve`, c ? { comment: c } : {})} onDone={onDone} />
          <Action label="Reject" danger input="Comment" confirm={<p>Reject <b>{t.name}</b>: the task and its run fail.</p>} run={(c) => post(`/api/v1/tasks/${enc(t.id)}/reject`, c ? { comment: c } : {})} onDone={onDone} />
        </div>
      )}
      {waiting && t.waitingFor?.includes('skip') && (
        <div class="actions" role="group" aria-label={`End ${t.name} early`}>
          <Action label="Skip soak" input="Reason" confirm={<p>End the soak <b>{t.name}</b> now as passed.</p>} run={(c) => post(`/api/v1/tasks/${enc(t.id)}/signal`, { signal: 'skip', ...(c ? { payload: { reason: c } } : {}) })} onDone={onDone} />
          <Action label="Stop soak" danger input="Reason" confirm={<p>End the soak <b>{t.name}</b> now as failed.</p>} run={(c) => post(`/api/v1/tasks/${enc(t.id)}/signal`, { signal: 'stop', ...(c ? { payload: { reason: c } } : {}) })} onDone={onDone} />
        </div>
      )}
      {t.kind === 'shell' ? (
        <LiveOutput runId={runId} t={t} exitCode={typeof output?.['exitCode'] === 'number' ? output['exitCode'] : undefined} fallback={output} />
      ) : (
        <TaskOutput output={output} />
      )}
    </li>
  );
}
