/**
 * One series as a line or bars, drawn by Chart.js in the theme's colours. Chart.js is
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
}

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
        data: { labels: p.labels, datasets: [{ label: p.label, data: p.values, borderColor: accent, backgroundColor: accent, tension: 0.2 }] },
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
  const summary = p.labels.map((l, i) => `${l}: ${p.values[i] === null || p.values[i] === undefined ? 'no value' : `${(p.values[i] as number).toFixed(2)} ${p.unit}`}`).join(', ');
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={`${p.label}. ${summary}`} />
    </div>
  );
}
