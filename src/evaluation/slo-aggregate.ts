/** How earlier values of one SLI are folded into the one number relative criteria compare with. */
export type AggregateFunction = 'avg' | 'p50' | 'p90' | 'p95';

export function aggregate(values: readonly number[], fn: AggregateFunction): number {
  if (values.length === 0) return 0;
  switch (fn) {
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'p50':
      return percentile(values, 0.5);
    case 'p90':
      return percentile(values, 0.9);
    case 'p95':
      return percentile(values, 0.95);
  }
}

/**
 * The lighthouse's percentile: rank p·(n+1) over the sorted values, clamped to the smallest and
 * largest, interpolated linearly between neighbours.
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const pos = p * (n + 1);
  if (pos < 1) return sorted[0]!;
  if (pos >= n) return sorted[n - 1]!;
  const lower = sorted[Math.floor(pos) - 1]!;
  const upper = sorted[Math.floor(pos)]!;
  return lower + (pos - Math.floor(pos)) * (upper - lower);
}
