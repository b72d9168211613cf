/** A release: its artifacts and provenance, its result and time in each stage, and promotion into a stage. */
import { useState } from 'preact/hooks';
import { enc, get, post, url } from '../api.js';
import { Action } from '../components/action.js';
import { StatePill } from '../components/badges.js';
import { Chart } from '../components/chart.js';
import { LoadError, Loading } from '../components/errors.js';
import { duration, short, time } from '../format.js';
import { links } from '../router.js';
import type { Release, Run } from '../types.js';
import { useLoad } from '../use-load.js';

interface ProjectDetail {
  stages: { name: string; after: string[]; promotion: string }[];
}

export function ReleasePage({ project, id }: { project: string; id: string }) {
  const rel = useLoad(() => get<Release>(`/api/v1/projects/${enc(project)}/releases/${enc(id)}`), [project, id], (e) => e.project === project);
  const runs = useLoad(async () => (await get<{ runs: Run[] }>(url('/api/v1/runs', { project, release: id, limit: '200' }))).runs, [project, id], (e) => e.project === project);
  const detail = useLoad(() => get<ProjectDetail>(`/api/v1/projects/${enc(project)}`), [project], () => false);
  const [target, setTarget] = useState('');
  const r = rel.data;
  if (!r) return rel.error ? <LoadError error={rel.error} /> : <Loading />;
  const prov = r.provenance as { commit?: string; commitTime?: number; author?: string; source?: string };
  const stages = detail.data?.stages ?? [];
  const promoteTo = target || stages[0]?.name || '';
  // Pipeline order, then oldest first: the release's path reads top to bottom.
  const order = new Map(stages.map((s, i) => [s.name, i]));
  const path = [...(runs.data ?? [])].sort((a, b) => (order.get(a.stage) ?? 1e9) - (order.get(b.stage) ?? 1e9) || a.queuedAt - b.queuedAt);
  const commitAt = typeof prov.commitTime === 'number' ? prov.commitTime : r.createdAt;
  const points = path.filter((run) => run.finishedAt !== null && run.state === 'succeeded').map((run) => ({ stage: run.stage, hours: (run.finishedAt! - commitAt) / 3_600_000 }));
  return (
    <section>
      <p class="crumbs">
        <a href={links.project(project)}>{project}</a> › release
      </p>
      <h1>
        Release <span class="mono">{short(r.id, 24)}</span>
      </h1>
      <dl class="facts">
        <dt>Id</dt>
        <dd class="mono">{r.id}</dd>
        <dt>Created</dt>
        <dd>{time(r.createdAt)}</dd>
        <dt>Commit</dt>
        <dd>
          {prov.commit ? <span class="mono">{prov.commit}</span> : '—'}
          {prov.commitTime ? ` at ${time(prov.commitTime)}` : ''}
          {prov.author ? ` by ${prov.author}` : ''}
          {prov.source ? <span class="muted"> (via {prov.source})</span> : null}
        </dd>
      </dl>
      <h2>Artifacts</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Artifact</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(r.artifacts).map(([s, a]) => (
            <tr key={s}>
              <td>{s}</td>
              <td class="mono">{a}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Stages</h2>
      <LoadError error={runs.error} />
      <table class="list" data-testid="release-stages">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Run</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Took</th>
            <th scope="col">Since commit</th>
          </tr>
        </thead>
        <tbody>
          {path.map((run) => (
            <tr key={run.id} data-stage={run.stage}>
              <td>{run.stage}</td>
              <td>
                <a href={links.run(run.id)}>{short(run.id, 16)}</a>
              </td>
              <td>
                <StatePill state={run.state} result={run.result} />
              </td>
              <td>{time(run.startedAt)}</td>
              <td>{run.startedAt !== null && run.finishedAt !== null ? duration(run.finishedAt - run.startedAt) : '—'}</td>
              <td>{prov.commitTime && run.finishedAt !== null ? duration(run.finishedAt - prov.commitTime) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {points.length > 1 && (
        <>
          <h2>Cycle time</h2>
          <p class="muted">From {typeof prov.commitTime === 'number' ? 'the commit' : 'the release'} to the end of each stage's run.</p>
          <Chart type="line" labels={points.map((x) => x.stage)} values={points.map((x) => x.hours)} label="Hours since the commit" unit="hours" />
        </>
      )}
      {stages.length > 0 && (
        <div class="actions">
          <label>
            Promote into{' '}
            <select value={promoteTo} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
              {stages.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <Action
            label="Promote"
            confirm={
              <p>
                Send release <code>{short(r.id, 20)}</code> into <b>{promoteTo}</b>. It must have passed the stages before it.
              </p>
            }
            run={() => post(`/api/v1/projects/${enc(project)}/releases/${enc(r.id)}/promote`, { stage: promoteTo })}
            onDone={runs.reload}
          />
        </div>
      )}
    </section>
  );
}
