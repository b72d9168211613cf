/**
 * A canary's course as charts (Chart.js): the new version's share of traffic per service
 * over time, and per slot the request rate, error rate and p99 latency between one point of
 * the deploy's series and the next (the series keeps cumulative router counters). The
 * series arrives with each suspension (pauses) and the outcome, so the charts grow live.
 */
import { Chart } from './chart.js';

interface SlotSample {
  requests: number;
  errors: number;
  p50Ms?: number;
  p99Ms?: number;
}
export interface SeriesPoint {
  at: number;
  step: number;
  services: Record<string, { weight: number; slots: Record<string, SlotSample> }>;
}

export function isSeries(v: unknown): v is SeriesPoint[] {
  return Array.isArray(v) && v.every((p) => typeof p === 'object' && p !== null && typeof (p as SeriesPoint).at === 'number' && typeof (p as SeriesPoint).services === 'object');
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

export function CanaryCharts({ series }: { series: SeriesPoint[] }) {
  if (series.length === 0) return null;
  const t0 = series[0]!.at;
  const labels = series.map((p) => `${seconds(p.at - t0)} (step ${p.step})`);
  const services = [...new Set(series.flatMap((p) => Object.keys(p.services)))].sort();
  const weights = services.map((s) => ({ label: `${s}: new version`, values: series.map((p) => p.services[s]?.weight ?? null) }));
  const slots = services.flatMap((s) => [...new Set(series.flatMap((p) => Object.keys(p.services[s]?.slots ?? {})))].sort().map((slot) => ({ service: s, slot })));
  // Between two points: what the counters grew by, over the time between them.
  const between = (f: (now: SlotSample, then: SlotSample, seconds: number) => number | null) =>
    slots.map(({ service, slot }) => ({
      label: services.length > 1 ? `${service}/${slot}` : slot,
      values: series.slice(1).map((p, i) => {
        const now = p.services[service]?.slots[slot];
        const then = series[i]!.services[service]?.slots[slot];
        const dt = (p.at - series[i]!.at) / 1000;
        return now && then && dt > 0 ? f(now, then, dt) : null;
      }),
    }));
  const rate = between((n, t, dt) => (n.requests - t.requests) / dt);
  const errors = between((n, t) => (n.requests > t.requests ? ((n.errors - t.errors) / (n.requests - t.requests)) * 100 : null));
  const p99 = slots.map(({ service, slot }) => ({ label: services.length > 1 ? `${service}/${slot}` : slot, values: series.slice(1).map((p) => p.services[service]?.slots[slot]?.p99Ms ?? null) }));
  const later = labels.slice(1);
  return (
    <div class="canary-charts" data-testid="canary-charts">
      <h3>Canary over time</h3>
      <Chart type="line" labels={labels} values={[]} series={weights} stepped label="Traffic to the new version" unit="% of traffic" />
      {later.length > 0 && (
        <>
          <Chart type="line" labels={later} values={[]} series={rate} label="Requests per slot" unit="requests/s" />
          <Chart type="line" labels={later} values={[]} series={errors} label="Error rate per slot" unit="% failed" />
          <Chart type="line" labels={later} values={[]} series={p99} label="p99 latency per slot (since the slot started)" unit="ms" />
        </>
      )}
    </div>
  );
}
