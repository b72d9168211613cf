/**
 * What a task left in its `.finished` (or latest) event: a shell command's last output,
 * a gate's last readings, an evaluation's objectives, a canary's series as charts. The run page shows a shell task's
 * output with LiveOutput instead (followed while it runs); the tail here serves other kinds.
 */
import { CanaryCharts, isSeries } from './canary-charts.js';

interface Reading {
  name: string;
  type?: string;
  pass: boolean;
  value: unknown;
  detail?: string;
}
interface Objective {
  sli: string;
  displayName?: string;
  value: number | null;
  score: number;
  status: string;
  targets?: { criteria: string; target: number | null; violated: boolean }[];
  comparedWith?: { aggregate: number | null; aggregateFunction: string; values: number[] } | null;
}

export function TaskOutput({ output }: { output: Record<string, unknown> | undefined }) {
  if (!output) return null;
  const tail = typeof output['tail'] === 'string' ? output['tail'] : undefined;
  const readings = Array.isArray(output['last']) ? (output['last'] as Reading[]) : undefined;
  const series = isSeries(output['series']) ? output['series'] : undefined;
  const evaluation = output['evaluation'] as { score?: number; result?: string; objectives?: Objective[] } | undefined;
  return (
    <div class="output">
      {tail !== undefined && (
        <details open>
          <summary>
            Output{typeof output['exitCode'] === 'number' ? ` (exit code ${output['exitCode']})` : ''}
            {typeof output['logFile'] === 'string' ? <span class="muted"> · full log on the server: {output['logFile']}</span> : null}
          </summary>
          <pre class="log" tabIndex={0}>{tail || '(no output)'}</pre>
        </details>
      )}
      {readings && (
        <table class="list small">
          <caption>
            Gate samples: {String(output['samples'] ?? readings.length)} taken{typeof output['passingSince'] === 'number' ? `, all passing since ${new Date(output['passingSince']).toLocaleTimeString()}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Signal</th>
              <th scope="col">Value</th>
              <th scope="col">Pass</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {readings.map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                <td>{String(r.value)}</td>
                <td class={r.pass ? 'good-text' : 'bad-text'}>{r.pass ? 'pass' : 'fail'}</td>
                <td>{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {series && <CanaryCharts series={series} />}
      {evaluation?.objectives && (
        <table class="list small">
          <caption>
            Evaluation: score {evaluation.score?.toFixed(1)} → {evaluation.result}
          </caption>
          <thead>
            <tr>
              <th scope="col">Objective</th>
              <th scope="col">Value</th>
              <th scope="col">Target</th>
              <th scope="col">Score</th>
              <th scope="col">Compared with</th>
            </tr>
          </thead>
          <tbody>
            {evaluation.objectives.map((o) => (
              <tr key={o.sli}>
                <td>{o.displayName || o.sli}</td>
                <td>{o.value ?? 'no value'}</td>
                <td>{(o.targets ?? []).map((t) => `${t.criteria}${t.target !== null ? ` (${t.target})` : ''}${t.violated ? ' ✗' : ''}`).join(', ') || '—'}</td>
                <td class={o.status === 'fail' ? 'bad-text' : o.status === 'warning' ? 'warn-text' : 'good-text'}>
                  {o.score} ({o.status})
                </td>
                <td>{o.comparedWith ? `${o.comparedWith.aggregateFunction} ${o.comparedWith.aggregate ?? '—'} of ${o.comparedWith.values.length}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
