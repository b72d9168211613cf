/**
 * The one port every SLI provider implements: measured values of named SLIs for one service in
 * one stage over a time window. A value it cannot give is `undefined` with a reason in words,
 * so an evaluation can say why an objective failed instead of only that it did.
 */

export interface SliQuery {
  project: string;
  stage: string;
  service: string;
  /** Keptn's deployment (`direct`, `primary`, `canary`) or, for the router, a slot name; may be empty. */
  deployment: string;
  /** Window start and end (UTC ms). */
  start: number;
  end: number;
  /** Free labels (Keptn `$LABEL.<name>`; the router reads `slot`). */
  labels: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

export interface SliValues {
  /** One entry per asked name: the value, or undefined when it could not be measured. */
  values: Record<string, number | undefined>;
  /** Why each undefined value is missing. */
  missing: Record<string, string>;
  /** What was asked of the source per SLI (the query after placeholders), for the record. */
  queries?: Record<string, string>;
  /** Caveats that do not make a value missing (a window only partly covered). */
  notes?: string[];
}

export interface SliProvider {
  /** `prometheus`, `router`: shown in results. */
  readonly name: string;
  /** The SLI names it can measure without being told more (for messages); undefined: any name its config defines. */
  known(): string[];
  values(sliNames: readonly string[], query: SliQuery): Promise<SliValues>;
}

/** Builds the answer from per-name outcomes, keeping the asked order. */
export function collect(names: readonly string[], one: (name: string) => { value?: number; missing?: string; query?: string }): SliValues {
  const out: SliValues = { values: {}, missing: {} };
  for (const name of names) {
    const r = one(name);
    out.values[name] = r.value;
    if (r.value === undefined) out.missing[name] = r.missing ?? 'no value';
    if (r.query !== undefined) (out.queries ??= {})[name] = r.query;
  }
  return out;
}
