/**
 * SLIs from Prometheus, one instant query per SLI from a Keptn sli.yaml, asked at the window's
 * end (as Keptn's prometheus-service does; `$DURATION_SECONDS` spans the window).
 */
import { isMetricsError } from '../metrics-error.js';
import { queryPrometheus } from '../prometheus.js';
import { fillPlaceholders, unfilled } from './placeholders.js';
import type { SliFile } from './sli-schema.js';
import type { SliProvider, SliQuery, SliValues } from './types.js';
import { collect } from './types.js';

export interface PrometheusSliOptions {
  url: string;
  sli: SliFile;
  /** Where the SLI file came from, for messages. */
  sliFile?: string;
  timeoutMs?: number;
}

export function createPrometheusSliProvider(o: PrometheusSliOptions): SliProvider {
  const where = o.sliFile ?? 'sli.yaml';
  return {
    name: 'prometheus',
    known: () => Object.keys(o.sli.indicators),
    async values(names: readonly string[], q: SliQuery): Promise<SliValues> {
      const outcomes = new Map<string, { value?: number; missing?: string; query?: string }>();
      await Promise.all(
        names.map(async (name) => {
          const template = o.sli.indicators[name];
          if (template === undefined) {
            const defined = Object.keys(o.sli.indicators);
            outcomes.set(name, { missing: `no query for SLI '${name}' in ${where}; it defines: ${defined.join(', ') || 'none'}` });
            return;
          }
          const query = fillPlaceholders(template, q);
          const left = unfilled(query);
          if (left.length > 0) {
            outcomes.set(name, { query, missing: `the query for '${name}' uses ${left.join(', ')}, but the task gives no such label; set it under the task's labels` });
            return;
          }
          try {
            const value = await queryPrometheus(o.url, query, { time: q.end, ...(q.signal ? { signal: q.signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
            if (value === undefined) outcomes.set(name, { query, missing: `no data: Prometheus at ${o.url} returned no series for ${query}` });
            else if (Number.isNaN(value)) outcomes.set(name, { query, missing: `no data: ${query} is NaN (a ratio over no requests?)` });
            else outcomes.set(name, { query, value });
          } catch (err) {
            if (!isMetricsError(err)) throw err;
            outcomes.set(name, { query, missing: err.message });
          }
        }),
      );
      return collect(names, (n) => outcomes.get(n)!);
    },
  };
}
