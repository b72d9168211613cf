/**
 * One series (or several, `series`) as a line or bars, drawn by Chart.js in the theme's colours. Chart.js is
 * loaded only when a chart shows (its own chunk), so the environments page stays small.
 * The canvas carries the figures as text for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface ChartProps {
  type: 'line' | 'bar';
  labels: string[];
  values: (number | null)[];
  /** The series' name, e.g. "hours since the commit". */
  label: string;
  unit: string;
  /** Several lines on the same axes instead of `values` (each in its own colour). */
  series?: { label: string; values: (number | null)[] }[];
  /** Hold each value until the next (a weight set at a step), instead of a curve between them. */
  stepped?: boolean;
}

// After the theme's accent: colours told apart in light and dark themes.
const MORE_COLOURS = ['#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285'];

export function Chart(p: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify(p);
  useEffect(() => {
    let chart: { destroy(): void } | undefined;
    let alive = true;
    void import('chart.js/auto').then(({ default: ChartJs }) => {
      if (!alive || !canvas.current) return;
      const style = getComputedStyle(document.documentElement);
      const text = style.getPropertyValue('--text').trim() || '#1b1f24';
      const accent = style.getPropertyValue('--accent').trim() || '#0a58ca';
      const grid = style.getPropertyValue('--line').trim() || '#d0d7de';
      chart = new ChartJs(canvas.current, {
        type: p.type,
        data: {
          labels: p.labels,
          datasets: (p.series ?? [{ label: p.label, values: p.values }]).map((d, i) => {
            const colour = i === 0 ? accent : MORE_COLOURS[(i - 1) % MORE_COLOURS.length]!;
            return { label: d.label, data: d.values, borderColor: colour, backgroundColor: colour, tension: p.stepped ? 0 : 0.2, stepped: p.stepped ?? false, spanGaps: true };
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: text } } },
          scales: {
            x: { ticks: { color: text }, grid: { color: grid } },
            y: { beginAtZero: true, ticks: { color: text }, grid: { color: grid }, title: { display: true, text: p.unit, color: text } },
          },
        },
      });
    });
    return () => {
      alive = false;
      chart?.destroy();
    };
  }, [key]);
  const one = (values: (number | null)[]) => p.labels.map((l, i) => `${l}: ${values[i] === null || values[i] === undefined ? 'no value' : `${(values[i] as number).toFixed(2)} ${p.unit}`}`).join(', ');
  const summary = p.series ? p.series.map((d) => `${d.label}: ${one(d.values)}`).join('; ') : one(p.values);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={`${p.label}. ${summary}`} />
    </div>
  );
}
