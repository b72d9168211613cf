/**
 * Known secret values → `[secret:NAME]`. Whatever leaves an executor (messages, outputs,
 * output tails) and every log line goes through one. A value shorter than MIN_REDACTED
 * characters is not redacted: replacing every `ab` in every log would hide more than it
 * protects (docs/secrets.md says so). Values are never forgotten: a replaced value was
 * a secret once.
 */
export const MIN_REDACTED = 4;
const MAX_DEPTH = 64;

export class Redactor {
  /** Value (and its JSON-escaped form) → name; longest first when applied. */
  private readonly values = new Map<string, string>();
  private ordered: [string, string][] = [];

  add(name: string, value: string): void {
    if (value.length < MIN_REDACTED) return;
    const escaped = JSON.stringify(value).slice(1, -1);
    let changed = false;
    for (const form of new Set([value, escaped])) {
      if (this.values.get(form) === name) continue;
      this.values.set(form, name);
      changed = true;
    }
    if (changed) this.ordered = [...this.values].sort((a, b) => b[0].length - a[0].length);
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    let out = text;
    for (const [value, name] of this.ordered) if (out.includes(value)) out = out.split(value).join(`[secret:${name}]`);
    return out;
  }

  /** `value` with every string (and key) redacted; the same object when nothing changed. */
  redactDeep<T>(value: T): T {
    return (this.ordered.length === 0 ? value : this.deep(value, 0)) as T;
  }

  private deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
    let changed = false;
    if (Array.isArray(value)) {
      const out = value.map((v) => {
        const r = this.deep(v, depth + 1);
        changed ||= r !== v;
        return r;
      });
      return changed ? out : value;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = this.redact(k);
      const r = this.deep(v, depth + 1);
      changed ||= key !== k || r !== v;
      out[key] = r;
    }
    return changed ? out : value;
  }
}

/** Any query parameter whose name contains `token` (`?token=`, `access_token=`) loses its value. */
const TOKEN_PARAM = /([?&][^=&\s"'#]*token[^=&\s"'#]*=)[^&\s"'#\\]*/gi;

export function redactTokenParams(text: string): string {
  return /token/i.test(text) ? text.replace(TOKEN_PARAM, '$1[redacted]') : text;
}

/**
 * The values this process has seen, for its loggers: loggers are made before the data
 * directory is opened and in several places, and redacting a value in a logger that
 * never meets it costs nothing.
 */
export const knownSecrets = new Redactor();

/** pino hooks: the serialized line loses secret values and token parameters before it is written. */
export function secretLogHooks(redactor: Redactor = knownSecrets): { streamWrite: (line: string) => string } {
  return { streamWrite: (line) => redactor.redact(redactTokenParams(line)) };
}
