/**
 * `${secret:NAME}` inside any string of a task's properties (nested maps and lists too).
 * The reference text is what pipelines, events and run specs keep; values replace it only
 * in the copy handed to the executor that runs the task.
 */
export const REFERENCE = /\$\{secret:([^}]*)\}/g;
const MARK = '${secret:';

export interface Reference {
  name: string;
  /** Property path, `env.API_KEY`, `headers.Authorization`, `body.items[0]`. */
  field: string;
}

export function hasReference(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(MARK);
  if (Array.isArray(value)) return value.some(hasReference);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasReference);
  return false;
}

/** Every reference in `value`, in order. */
export function references(value: unknown, field = ''): Reference[] {
  const out: Reference[] = [];
  walk(value, field, (text, at) => {
    for (const m of text.matchAll(REFERENCE)) out.push({ name: m[1]!, field: at });
    return text;
  });
  return out;
}

/** A copy of `value` with each reference replaced by `lookup(reference)`; untouched when it has none. */
export function substitute<T>(value: T, lookup: (ref: Reference) => string, field = ''): T {
  if (!hasReference(value)) return value;
  return walk(value, field, (text, at) => (text.includes(MARK) ? text.replace(REFERENCE, (_m, name: string) => lookup({ name, field: at })) : text)) as T;
}

function walk(value: unknown, field: string, onText: (text: string, field: string) => string): unknown {
  if (typeof value === 'string') return onText(value, field);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, `${field}[${i}]`, onText));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, field === '' ? k : `${field}.${k}`, onText);
    return out;
  }
  return value;
}
