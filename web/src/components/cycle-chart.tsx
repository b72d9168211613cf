/**
 * A release's cycle time as a line: for each stage it reached, in pipeline order, the
 * hours from its commit to the end of its run there. Chart.js is loaded only when this
 * shows (its own chunk), so the environments page stays small.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface CyclePoint {
  stage: string;
  hours: number;
}

export function CycleChart({ points }: { points: CyclePoint[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify(points);
  useEffect(() => {
    let chart: { destroy(): void } | undefined;
    let alive = true;
    void import('chart.js/auto').then(({ default: Chart }) => {
      if (!alive || !canvas.current) return;
      const style = getComputedStyle(document.documentElement);
      const text = style.getPropertyValue('--text').trim() || '#1b1f24';
      const line = style.getPropertyValue('--accent').trim() || '#0a58ca';
      const grid = style.getPropertyValue('--line').trim() || '#d0d7de';
      chart = new Chart(canvas.current, {
        type: 'line',
        data: { labels: points.map((p) => p.stage), datasets: [{ label: 'hours since the commit', data: points.map((p) => p.hours), borderColor: line, backgroundColor: line, tension: 0.2 }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: text } } },
          scales: { x: { ticks: { color: text }, grid: { color: grid } }, y: { beginAtZero: true, ticks: { color: text }, grid: { color: grid }, title: { display: true, text: 'hours', color: text } } },
        },
      });
    });
    return () => {
      alive = false;
      chart?.destroy();
    };
  }, [key]);
  const summary = points.map((p) => `${p.stage} ${p.hours.toFixed(2)} h`).join(', ');
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={`Cycle time since the commit: ${summary}`} />
    </div>
  );
}
