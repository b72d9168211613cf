/**
 * The stage × service matrix of one project: a row per stage (pipeline order), a column
 * per service. Each cell shows the release and artifact there, the state as a colour, since
 * when, and its marks; it links to the cell's history. Large matrices (a thousand stages)
 * render only the rows in view plus a margin, with spacer rows standing in for the rest,
 * so the page stays quick whatever the size.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ago, short, tone } from '../format.js';
import { links } from '../router.js';
import type { MatrixCell, ProjectMatrix } from '../types.js';
import { Marks } from './badges.js';

const ROW_PX = 76;
/** Up to this many rows everything renders; beyond, only what is in view. */
const WINDOW_FROM = 60;
const OVERSCAN = 10;

export function Matrix({ m, now }: { m: ProjectMatrix; now: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const big = m.stages.length > WINDOW_FROM;
  const [range, setRange] = useState<[number, number]>([0, big ? 30 : m.stages.length]);
  useEffect(() => {
    if (!big) return setRange([0, m.stages.length]);
    const el = scroller.current;
    if (!el) return;
    const update = () => {
      const first = Math.max(0, Math.floor(el.scrollTop / ROW_PX) - OVERSCAN);
      const last = Math.min(m.stages.length, Math.ceil((el.scrollTop + el.clientHeight) / ROW_PX) + OVERSCAN);
      setRange((r) => (r[0] === first && r[1] === last ? r : [first, last]));
    };
    update();
    el.addEventListener('scroll', update, { passive: true });
    return () => el.removeEventListener('scroll', update);
  }, [big, m.stages.length]);
  const [first, last] = range;
  const cols = m.services.length + 1;
  return (
    <div ref={scroller} class={big ? 'matrix-scroll big' : 'matrix-scroll'} tabIndex={0} aria-label={`${m.name} environments`} role="region">
      <table class="matrix" data-project={m.name}>
        <caption class="sr-only">
          {m.name}: release in each stage (rows) for each service (columns)
        </caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            {m.services.map((s) => (
              <th scope="col" key={s}>
                {s}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 && <tr aria-hidden="true" style={{ height: `${first * ROW_PX}px` }}><td colSpan={cols} /></tr>}
          {m.stages.slice(first, last).map((stage, i) => (
            <tr key={stage.name} style={big ? { height: `${ROW_PX}px` } : undefined}>
              <th scope="row">
                {stage.name}
                {stage.promotion !== 'auto' && <span class="hint"> {stage.promotion}</span>}
              </th>
              {m.services.map((service, j) => (
                <Cell key={service} project={m.name} stage={stage.name} service={service} cell={m.cells[first + i]?.[j]} now={now} />
              ))}
            </tr>
          ))}
          {last < m.stages.length && <tr aria-hidden="true" style={{ height: `${(m.stages.length - last) * ROW_PX}px` }}><td colSpan={cols} /></tr>}
        </tbody>
      </table>
    </div>
  );
}

function Cell({ project, stage, service, cell }: { project: string; stage: string; service: string; cell: MatrixCell | undefined; now: number }) {
  const state = cell?.state ?? null;
  return (
    <td class={`cell ${tone(state)}`} data-stage={stage} data-service={service} data-state={state ?? 'none'} data-release={cell?.release ?? ''}>
      <a href={links.cell(project, stage, service)}>
        <span class="sr-only">
          {service} in {stage}:{' '}
        </span>
        {cell?.release ? (
          <>
            <span class="artifact" title={cell.artifact ?? ''}>{cell.artifact}</span>
            <span class="release" title={cell.release}>{short(cell.release)}</span>
            <span class="since">
              <span class="state">{state}</span> {ago(cell.since)}
            </span>
          </>
        ) : (
          <span class="empty">
            — <span class="sr-only">nothing deployed</span>
          </span>
        )}
        {cell && <Marks cell={cell} />}
      </a>
    </td>
  );
}
