/** What waits on a person: every approval task waiting, oldest first, with approve / reject. */
import { enc, get, post } from '../api.js';
import { Action } from '../components/action.js';
import { LoadError, Loading } from '../components/errors.js';
import { ago, short } from '../format.js';
import { links } from '../router.js';
import type { Approval } from '../types.js';
import { useLoad } from '../use-load.js';

export function ApprovalsPage() {
  const list = useLoad(async () => (await get<{ approvals: Approval[] }>('/api/v1/approvals')).approvals, [], (e) => e.type.startsWith('sh.slipway.task.') || e.type.startsWith('sh.slipway.run.') || e.type === 'sh.slipway.release.approval');
  return (
    <section>
      <h1>Approvals</h1>
      <LoadError error={list.error} />
      {!list.data && !list.error && <Loading />}
      {list.data && list.data.length === 0 && <p>Nothing waits for an approval.</p>}
      <ul class="cards">
        {list.data?.map((a) => (
          <li key={a.taskId} class="card" data-task={a.taskId}>
            <h2>
              {a.project} › {a.stage}: {a.task}
            </h2>
            <p>
              Release <a href={links.release(a.project, a.releaseId)}>{short(a.releaseId, 20)}</a> · <a href={links.run(a.runId)}>run</a> · waiting {ago(a.since)}
            </p>
            {a.message && <p>{a.message}</p>}
            <p class="muted">{a.progress.summary}</p>
            <div class="actions" role="group" aria-label={`Answer ${a.task} in ${a.stage}`}>
              <Action label="Approve" input="Comment" confirm={<p>Approve {a.task} in {a.stage} for this release.</p>} run={(c) => post(`/api/v1/tasks/${enc(a.taskId)}/approve`, c ? { comment: c } : {})} onDone={list.reload} />
              <Action label="Reject" danger input="Comment" confirm={<p>Reject {a.task} in {a.stage}: the run fails.</p>} run={(c) => post(`/api/v1/tasks/${enc(a.taskId)}/reject`, c ? { comment: c } : {})} onDone={list.reload} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
