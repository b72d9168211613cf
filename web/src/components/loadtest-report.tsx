/**
 * A run's load tests (issue 14: the report is part of the run): per `loadtest` task, a table
 * of its levels (rate asked and served, p50/p95/p99, error rate, verdict with its reasons, the
 * previous release's p99 at the level) and a line chart of p99 per level. The figures come from
 * GET /api/v1/runs/{runId}/loadtests and load again on every event of the run, so a level shows
 * as soon as its `.waiting` event arrives.
 */
import { enc, get } from '../api.js';
import { useLoad } from '../use-load.js';
import { Chart } from './chart.js';
import { LoadError } from './errors.js';

interface Level {
  level: number;
  rps: number;
  throughput: number;
  requests: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  result: string;
  reasons: string[];
}
interface Output {
  baseline?: { rps: number; from: string };
  target?: { url: string; slot?: string };
  previous?: { releaseId: string; levels: { level: number; p99Ms: number }[] };
  levels: Level[];
  thresholds?: { p99Ms?: number };
}
interface Report {
  task: string;
  kind: string;
  state: string;
  result: string | null;
  message: string | null;
  output: unknown;
}

function isOutput(v: unknown): v is Output {
  return typeof v === 'object' && v !== null && Array.isArray((v as Output).levels);
}

const ms = (v: number) => `${Math.round(v)} ms`;
const pct = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)}%`;
// The threshold is named in a failing level's reason ("p99 812 ms > 500 ms") when the output does not carry it.
function p99Limit(o: Output): number | null {
  if (typeof o.thresholds?.p99Ms === 'number') return o.thresholds.p99Ms;
  for (const l of o.levels) for (const r of l.reasons) {
    const m = /^p99 \d+ ms > (\d+) ms/.exec(r);
    if (m) return Number(m[1]);
  }
  return null;
}

export function LoadtestReports({ runId }: { runId: string }) {
  const reports = useLoad(async () => (await get<{ reports: Report[] }>(`/api/v1/runs/${enc(runId)}/loadtests`)).reports, [runId], (e) => e.runid === runId);
  const loadtests = (reports.data ?? []).filter((r) => r.kind === 'loadtest');
  if (loadtests.length === 0) return reports.error ? <LoadError error={reports.error} /> : null;
  return (
    <>
      <h2>Load tests</h2>
      {loadtests.map((r) => (
        <LoadtestReport key={r.task} report={r} />
      ))}
    </>
  );
}

function LoadtestReport({ report }: { report: Report }) {
  const o = isOutput(report.output) ? report.output : undefined;
  const levels = o?.levels ?? [];
  const before = (level: number) => o?.previous?.levels.find((l) => l.level === level)?.p99Ms;
  const limit = o ? p99Limit(o) : null;
  const labels = levels.map((l) => `${l.level}×`);
  const series: { label: string; values: (number | null)[] }[] = [{ label: 'p99', values: levels.map((l) => l.p99Ms) }];
  if (o?.previous) series.push({ label: `p99 of ${o.previous.releaseId}`, values: levels.map((l) => before(l.level) ?? null) });
  if (limit !== null) series.push({ label: 'p99 threshold', values: levels.map(() => limit) });
  return (
    <div class="loadtest-report" data-testid="loadtest-report" data-task={report.task}>
      <h3>
        {report.task} <span class="muted">({report.state}{report.result ? ` · ${report.result}` : ''})</span>
      </h3>
      {report.message && <p class="task-msg">{report.message}</p>}
      {o?.baseline && (
        <p class="muted">
          baseline {o.baseline.rps} rps ({o.baseline.from}){o.target ? ` · target ${o.target.url}${o.target.slot ? ` (slot ${o.target.slot})` : ''}` : ''}
          {o.previous ? ` · compared with ${o.previous.releaseId}` : ''}
        </p>
      )}
      {levels.length === 0 ? (
        <p class="muted">No level has finished yet.</p>
      ) : (
        <>
          <table class="list small">
            <caption>Load test {report.task}: figures per level</caption>
            <thead>
              <tr>
                <th scope="col">Level</th>
                <th scope="col">Target rps</th>
                <th scope="col">Achieved rps</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">p99</th>
                <th scope="col">Error rate</th>
                <th scope="col">Verdict</th>
                {o?.previous && <th scope="col">Previous p99</th>}
              </tr>
            </thead>
            <tbody>
              {levels.map((l) => {
                const prev = before(l.level);
                return (
                  <tr key={l.level} data-level={l.level}>
                    <th scope="row">{l.level}×</th>
                    <td>{l.rps}</td>
                    <td>{l.throughput.toFixed(1)}</td>
                    <td>{ms(l.p50Ms)}</td>
                    <td>{ms(l.p95Ms)}</td>
                    <td>{ms(l.p99Ms)}</td>
                    <td>{pct(l.errorRate)}</td>
                    <td class={l.result === 'pass' ? 'good-text' : l.result === 'fail' ? 'bad-text' : ''}>
                      {l.result}
                      {l.reasons.length > 0 ? `: ${l.reasons.join('; ')}` : ''}
                    </td>
                    {o?.previous && <td>{prev === undefined ? '—' : ms(prev)}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Chart type="line" labels={labels} values={[]} series={series} label={`p99 latency per level of ${report.task}`} unit="ms" />
        </>
      )}
    </div>
  );
}
