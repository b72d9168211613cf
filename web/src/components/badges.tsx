/** Small labels: a state pill, and the marks a matrix cell carries. */
import { tone } from '../format.js';
import type { MatrixCell } from '../types.js';

export function StatePill({ state, result }: { state: string | null; result?: string | null }) {
  const label = state === 'finished' && result ? result : result && state && ['succeeded', 'failed'].includes(state) && result !== 'pass' ? `${state} (${result})` : (state ?? 'nothing yet');
  return <span class={`pill ${tone(state, result)}`}>{label}</span>;
}

export function Marks({ cell }: { cell: MatrixCell }) {
  const marks: [string, string, string][] = [];
  if (cell.queued > 0) marks.push(['queued', `${cell.queued} queued`, `${cell.queued} run(s) queued here`]);
  if (cell.frozen) marks.push(['frozen', 'frozen', 'a freeze window holds a queued run']);
  if (cell.waiting) marks.push(['waiting', 'waiting', 'a run waits on a person, a timer or a signal']);
  if (cell.paused) marks.push(['paused', 'paused', 'a run is paused']);
  if (cell.soaking !== null) marks.push(['soaking', 'soaking', 'a soak is under way']);
  if (cell.rolledBack) marks.push(['rolledback', 'rolled back', 'what runs here came back by a rollback']);
  if (marks.length === 0) return null;
  return (
    <span class="marks">
      {marks.map(([cls, text, title]) => (
        <span key={cls} class={`mark ${cls}`} title={title}>
          {text}
        </span>
      ))}
    </span>
  );
}
