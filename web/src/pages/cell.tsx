/**
 * A cell's history: the runs of one service in one stage, newest first, with what is live
 * there now and a way to roll the stage back to an earlier release that passed there.
 */
import { enc, get, post, url } from '../api.js';
import { Action } from '../components/action.js';
import { StatePill } from '../components/badges.js';
import { LoadError, Loading } from '../components/errors.js';
import { short, time } from '../format.js';
import { links } from '../router.js';
import { decodeMatrix } from '../matrix-wire.js';
import type { Run, WireMatrix } from '../types.js';
import { useLoad } from '../use-load.js';

export function CellPage({ project, stage, service }: { project: string; stage: string; service: string }) {
  const runs = useLoad(
    // The service's own newest 200 runs (the server's index by service), not those among the stage's newest 200.
    async () => (await get<{ runs: Run[] }>(url('/api/v1/runs', { project, stage, service, limit: '200' }))).runs,
    [project, stage, service],
    (e) => e.project === project,
  );
  const cell = useLoad(
    async () => {
      const w = (await get<{ projects: WireMatrix[] }>(url('/api/v1/dashboard/matrix', { project, stage }))).projects[0];
      return w && decodeMatrix(w);
    },
    [project, stage],
    (e) => e.project === project,
  );
  const m = cell.data;
  const c = m ? m.cells[0]?.[m.services.indexOf(service)] : undefined;
  const rolledTo = new Set<string>();
  return (
    <section>
      <p class="crumbs">
        <a href={links.project(project)}>{project}</a> › {stage} › {service}
      </p>
      <h1>
        {service} in {stage}
      </h1>
      <LoadError error={runs.error ?? cell.error} />
      {c && (
        <dl class="facts">
          <dt>Live now</dt>
          <dd>{c.release ? <a href={links.release(project, c.release)}>{c.artifact} ({short(c.release)})</a> : 'nothing deployed'}</dd>
          <dt>State</dt>
          <dd>
            <StatePill state={c.state} /> since {time(c.since)}
          </dd>
          <dt>Last good</dt>
          <dd>{c.lastGoodRelease ? <a href={links.release(project, c.lastGoodRelease)}>{c.lastGoodArtifact} ({short(c.lastGoodRelease)})</a> : '—'}</dd>
        </dl>
      )}
      <h2>History</h2>
      {!runs.data && !runs.error && <Loading />}
      {runs.data && runs.data.length === 0 && <p>No run of {service} in {stage} yet.</p>}
      {runs.data && runs.data.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="History">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Release</th>
                <th scope="col">Run</th>
                <th scope="col">State</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">By</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => {
                const offer = r.state === 'succeeded' && r.releaseId !== c?.release && !rolledTo.has(r.releaseId);
                rolledTo.add(r.releaseId);
                return (
                  <tr key={r.id} data-run={r.id}>
                    <td>
                      <a href={links.release(project, r.releaseId)} title={r.releaseId}>
                        {short(r.releaseId)}
                      </a>
                      {r.cause === 'rollback' && <span class="mark rolledback">rollback</span>}
                    </td>
                    <td>
                      <a href={links.run(r.id)}>{short(r.id, 16)}</a>
                    </td>
                    <td>
                      <StatePill state={r.state} result={r.result} />
                    </td>
                    <td>{time(r.startedAt ?? r.queuedAt)}</td>
                    <td>{time(r.finishedAt)}</td>
                    <td>{r.triggeredBy ?? '—'}</td>
                    <td>
                      {offer && (
                        <Action
                          label={`Roll back to ${short(r.releaseId)}`}
                          danger
                          input="Reason (recorded in the event log)"
                          confirm={
                            <p>
                              Run release <code>{r.releaseId}</code> in <b>{stage}</b> again, replacing what runs there now for every service of that release. It does not promote downstream.
                            </p>
                          }
                          run={(reason) => post(`/api/v1/projects/${enc(project)}/stages/${enc(stage)}/rollback`, { to: r.releaseId, ...(reason ? { reason } : {}) })}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
