/**
 * Insights: the DORA figures of a project's production stage over a chosen window
 * (GET /api/v1/insights/dora), each saying how many deployments it rests on, and the
 * cycle time from commit to each stage as a chart. Refreshed when a run finishes.
 */
import { useState } from 'preact/hooks';
import { enc, get, url } from '../api.js';
import { Chart } from '../components/chart.js';
import { LoadError, Loading } from '../components/errors.js';
import { duration } from '../format.js';
import { useLoad } from '../use-load.js';

interface Dur {
  deployments: number;
  medianMs: number | null;
}
interface Rate {
  deployments: number;
  rate: number | null;
  count: number;
}
interface Dora {
  project: string;
  stage: string;
  from: number;
  to: number;
  deploymentFrequency: { deployments: number; perDay: number; bucket: string | null; weeks: number };
  changeLeadTime: Dur & { ignored: number };
  changeFailRate: Rate;
  failedDeploymentRecoveryTime: Dur & { failures: number; unrecovered: number };
  deploymentReworkRate: Rate;
  cycleTime: (Dur & { stage: string })[];
}

const WINDOWS = [
  ['7', 'last 7 days'],
  ['30', 'last 30 days'],
  ['90', 'last 90 days'],
  ['365', 'last year'],
] as const;

export function InsightsPage() {
  const projects = useLoad(async () => (await get<{ projects: { name: string; stages: string[] }[] }>('/api/v1/projects')).projects, [], () => false);
  const [project, setProject] = useState('');
  const [stage, setStage] = useState('');
  const [days, setDays] = useState('30');
  const list = projects.data ?? [];
  const p = list.find((x) => x.name === project) ?? list[0];
  const st = p && p.stages.includes(stage) ? stage : (p?.stages.at(-1) ?? '');
  const dora = useLoad(
    async () => (p ? get<Dora>(url('/api/v1/insights/dora', { project: p.name, stage: st, from: String(Date.now() - Number(days) * 86_400_000) })) : undefined),
    [p?.name, st, days],
    (e) => e.project === p?.name && e.type === 'sh.slipway.run.finished',
  );
  const d = dora.data;
  const pct = (r: Rate) => (r.rate === null ? '—' : `${(r.rate * 100).toFixed(1)} %`);
  const med = (x: Dur) => (x.medianMs === null ? '—' : duration(x.medianMs));
  return (
    <section>
      <h1>Insights</h1>
      <LoadError error={projects.error ?? dora.error} />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Project{' '}
          <select value={p?.name ?? ''} onChange={(e) => setProject((e.target as HTMLSelectElement).value)}>
            {list.map((x) => (
              <option key={x.name}>{x.name}</option>
            ))}
          </select>
        </label>
        <label>
          Production stage{' '}
          <select value={st} onChange={(e) => setStage((e.target as HTMLSelectElement).value)}>
            {(p?.stages ?? []).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Window{' '}
          <select value={days} onChange={(e) => setDays((e.target as HTMLSelectElement).value)}>
            {WINDOWS.map(([v, text]) => (
              <option key={v} value={v}>
                {text}
              </option>
            ))}
          </select>
        </label>
      </form>
      {!d && !dora.error && <Loading />}
      {d && (
        <>
          <ul class="cards figures" data-testid="dora">
            <Figure name="Deployment frequency" value={`${d.deploymentFrequency.perDay.toFixed(2)} / day`} extra={d.deploymentFrequency.bucket ? `${d.deploymentFrequency.bucket}` : undefined} n={d.deploymentFrequency.deployments} />
            <Figure name="Change lead time (median)" value={med(d.changeLeadTime)} n={d.changeLeadTime.deployments} extra={d.changeLeadTime.ignored ? `${d.changeLeadTime.ignored} without a commit time` : undefined} />
            <Figure name="Change fail rate" value={pct(d.changeFailRate)} n={d.changeFailRate.deployments} extra={`${d.changeFailRate.count} failed`} />
            <Figure name="Failed deployment recovery time (median)" value={med(d.failedDeploymentRecoveryTime)} n={d.failedDeploymentRecoveryTime.deployments} extra={`${d.failedDeploymentRecoveryTime.failures} failures, ${d.failedDeploymentRecoveryTime.unrecovered} not recovered`} />
            <Figure name="Deployment rework rate" value={pct(d.deploymentReworkRate)} n={d.deploymentReworkRate.deployments} extra={`${d.deploymentReworkRate.count} rework`} />
          </ul>
          <h2>Cycle time per stage (median, commit → stage)</h2>
          <Chart type="bar" labels={d.cycleTime.map((c) => c.stage)} values={d.cycleTime.map((c) => (c.medianMs === null ? null : c.medianMs / 3_600_000))} label="Median hours from commit to the stage" unit="hours" />
          <p class="muted">
            {new Date(d.from).toLocaleDateString()} – {new Date(d.to).toLocaleDateString()} · <a href={`/api/v1/insights/dora?project=${enc(d.project)}&stage=${enc(d.stage)}`}>as JSON</a>
          </p>
        </>
      )}
    </section>
  );
}

function Figure({ name, value, n, extra }: { name: string; value: string; n: number; extra?: string | undefined }) {
  return (
    <li class="card figure">
      <h2>{name}</h2>
      <p class="big">{value}</p>
      <p class="muted">
        on {n} deployment{n === 1 ? '' : 's'}
        {extra ? ` · ${extra}` : ''}
      </p>
    </li>
  );
}
