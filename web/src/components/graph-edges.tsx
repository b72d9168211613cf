/**
 * The pipeline graph's edges: an SVG laid over the stage boxes, one curve from each stage to
 * every stage that follows it (`after:`), measured from where the boxes landed (so it follows
 * the columns on a laptop and the stacked layout on a phone). Curves into a stage where a run
 * is going on are drawn in the accent colour and marked `data-active`. Decorative for screen
 * readers: each box says in words which stages it follows.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect, useState } from 'preact/hooks';

export interface Edge {
  from: string;
  to: string;
  active: boolean;
}

interface Drawn extends Edge {
  d: string;
}

function measure(root: HTMLElement, edges: readonly Edge[]): { drawn: Drawn[]; width: number; height: number } {
  const origin = root.getBoundingClientRect();
  const box = (name: string) => root.querySelector<HTMLElement>(`[data-stage="${CSS.escape(name)}"]`)?.getBoundingClientRect();
  const drawn: Drawn[] = [];
  for (const e of edges) {
    const a = box(e.from);
    const b = box(e.to);
    if (!a || !b) continue;
    const x = (v: number) => v - origin.left + root.scrollLeft;
    const y = (v: number) => v - origin.top + root.scrollTop;
    let d: string;
    if (b.left >= a.right) {
      // Side by side: right edge of the earlier stage to the left edge of the later one.
      const [x1, y1, x2, y2] = [x(a.right), y(a.top + 18), x(b.left), y(b.top + 18)];
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    } else {
      // Stacked (narrow screens): bottom of the earlier stage to the top of the later one.
      const [x1, y1, x2, y2] = [x(a.left + 24), y(a.bottom), x(b.left + 24), y(b.top)];
      const mid = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`;
    }
    drawn.push({ ...e, d });
  }
  return { drawn, width: root.scrollWidth, height: root.scrollHeight };
}

export function GraphEdges({ root, edges }: { root: RefObject<HTMLElement | null>; edges: readonly Edge[] }) {
  const [shape, setShape] = useState<{ drawn: Drawn[]; width: number; height: number }>({ drawn: [], width: 0, height: 0 });
  const key = JSON.stringify(edges);
  useLayoutEffect(() => {
    const el = root.current;
    if (!el) return undefined;
    const redraw = () => setShape(measure(el, edges));
    redraw();
    const observer = new ResizeObserver(redraw);
    observer.observe(el);
    for (const child of el.querySelectorAll('.stage-box')) observer.observe(child);
    return () => observer.disconnect();
  }, [key]);
  return (
    <svg class="graph-edges" width={shape.width} height={shape.height} aria-hidden="true" focusable="false">
      <defs>
        {['', '-active'].map((suffix) => (
          <marker key={suffix} id={`graph-arrow${suffix}`} class={`arrow${suffix}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        ))}
      </defs>
      {shape.drawn.map((e) => (
        <path key={`${e.from}>${e.to}`} class={`edge${e.active ? ' active' : ''}`} d={e.d} data-from={e.from} data-to={e.to} data-active={e.active ? 'true' : undefined} marker-end={`url(#graph-arrow${e.active ? '-active' : ''})`} />
      ))}
    </svg>
  );
}
