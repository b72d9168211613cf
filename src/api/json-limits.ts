/**
 * Bounds on JSON that clients send. Nesting is checked without recursion (a body nested
 * 100,000 deep must not overflow the check meant to refuse it), and free-form values
 * (`output`, `payload`) are bounded by their size as JSON, so nothing a client sends can
 * make the engine's serializing fail or grow the log without limit.
 */

/** Objects and arrays nest at most this deep, counting the body itself as level 1. */
export const MAX_JSON_DEPTH = 32;
/** The most bytes a free-form value (`output`, `payload`) may take as JSON. */
export const MAX_FREE_JSON_BYTES = 64 * 1024;

interface Frame {
  value: object;
  depth: number;
  key: string;
  parent: Frame | undefined;
}

/**
 * The path (keys from the top) of the first object or array nested deeper than `limit`,
 * or undefined when every one is within it. `value` itself counts as level 1.
 */
export function tooDeepAt(value: unknown, limit = MAX_JSON_DEPTH): string[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Frame[] = [{ value, depth: 1, key: '', parent: undefined }];
  for (let f = stack.pop(); f !== undefined; f = stack.pop()) {
    if (f.depth > limit) return pathOf(f);
    if (Array.isArray(f.value)) {
      const list: unknown[] = f.value;
      for (let i = 0; i < list.length; i++) {
        const v = list[i];
        if (v !== null && typeof v === 'object') stack.push({ value: v, depth: f.depth + 1, key: String(i), parent: f });
      }
    } else {
      for (const [key, v] of Object.entries(f.value)) {
        if (v !== null && typeof v === 'object') stack.push({ value: v as object, depth: f.depth + 1, key, parent: f });
      }
    }
  }
  return undefined;
}

function pathOf(f: Frame): string[] {
  const keys: string[] = [];
  for (let at: Frame | undefined = f; at?.parent !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse();
}

/** A field path as errors name it (`output.a.0`), shortened when a hostile body makes it long. */
export function fieldPath(keys: readonly string[], prefix = ''): string {
  const path = [...(prefix ? [prefix] : []), ...keys.map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k))].join('.');
  return path.length > 200 ? `${path.slice(0, 200)}…` : path || 'body';
}

/** Bytes of `value` as JSON (UTF-8). Call on a value already known to be within MAX_JSON_DEPTH. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
