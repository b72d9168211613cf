/**
 * Literal credentials in a pipeline file: a value in a field that usually carries one
 * (an `Authorization` header, an env name like `*_TOKEN`, `*_PASSWORD`, `*_KEY`, `*_SECRET`,
 * a password or token in a URL) loads with a warning naming its line, since the file,
 * the event log and every API reader would see it. A `${secret:NAME}` reference whose
 * name is not a secret name is warned about too: the task would fail when it runs.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Source } from './source.js';
import { toPosition } from './source.js';

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const REFERENCE = /\$\{secret:([^}]*)\}/g;
const CREDENTIAL_ENV = /(^|_)(TOKEN|PASSWORD|PASSWD|PASS|SECRET|KEY|APIKEY|CREDENTIALS?)$/i;
const CREDENTIAL_HEADER = /^(proxy-)?authorization$|^cookie$|api[-_]?key|token|secret/i;
const CREDENTIAL_PARAM = /token|secret|passw(or)?d|api[-_]?key|^key$|^sig(nature)?$/i;

interface Hit {
  offset: number;
  field: string;
  message: string;
}

/** `loaded` with a warning for each literal credential and each malformed reference in task properties. */
export function withSecretWarnings<T extends { warnings: string[] }>(source: Source, loaded: T): T {
  const hits: Hit[] = [];
  walk(source.doc.contents, [], hits);
  if (hits.length === 0) return loaded;
  const lines = hits.sort((a, b) => a.offset - b.offset).map((h) => {
    const { line, column } = toPosition(source, h.offset);
    return `${source.file}:${line}:${column}: ${h.field}: ${h.message}`;
  });
  return { ...loaded, warnings: [...loaded.warnings, ...lines] };
}

function walk(node: unknown, path: string[], hits: Hit[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key === 'properties' && isMap(pair.value)) properties(pair.value, [...path, key], hits);
      else walk(pair.value, [...path, key], hits);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`], hits));
  }
}

function properties(map: unknown, path: string[], hits: Hit[]): void {
  references(map, path, hits);
  if (!isMap(map)) return;
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    if ((key === 'env' || key === 'headers') && isMap(pair.value)) {
      for (const entry of pair.value.items) {
        if (!isPair(entry) || !isScalar(entry.key)) continue;
        const name = String(entry.key.value);
        const sensitive = key === 'env' ? CREDENTIAL_ENV.test(name) : CREDENTIAL_HEADER.test(name);
        const value = literal(entry.value);
        if (!sensitive || value === undefined) continue;
        const secret = key === 'env' && SECRET_NAME.test(name) && name !== 'KEY' ? name : 'NAME';
        const suggestion = key === 'env' ? `${name}: '\${secret:${secret}}'` : `${name}: 'Bearer \${secret:${secret}}'`;
        hits.push({ offset: value.offset, field: [...path, key, name].join('.'), message: `holds a literal value where a credential usually goes; write ${suggestion} and set it with \`slipway secret set ${secret}\` (docs/secrets.md)` });
      }
    } else if (key === 'url') {
      const value = literal(pair.value);
      if (value && credentialInUrl(value.text)) {
        hits.push({ offset: value.offset, field: [...path, key].join('.'), message: 'carries a password or token in the URL; put it in a secret and write ${secret:NAME} in its place (docs/secrets.md)' });
      }
    }
  }
}

/** A non-empty string scalar with no secret reference. */
function literal(node: unknown): { text: string; offset: number } | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '' || node.value.includes('${secret:')) return undefined;
  return { text: node.value, offset: node.range?.[0] ?? 0 };
}

function credentialInUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.password !== '' || [...url.searchParams.keys()].some((k) => CREDENTIAL_PARAM.test(k));
  } catch {
    return false;
  }
}

function references(node: unknown, path: string[], hits: Hit[]): void {
  if (isScalar(node) && typeof node.value === 'string') {
    for (const m of node.value.matchAll(REFERENCE)) {
      if (SECRET_NAME.test(m[1]!) && m[1] !== 'KEY') continue;
      hits.push({ offset: node.range?.[0] ?? 0, field: path.join('.'), message: `\${secret:${m[1]}} does not name a secret (upper-case letters, digits and '_', starting with a letter; not KEY); the task fails when it runs` });
    }
  } else if (isMap(node)) {
    for (const pair of node.items) if (isPair(pair)) references(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '?'], hits);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => references(item, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`], hits));
  }
}
