/**
 * Branch, tag, workflow and package patterns in trigger rules: `*` matches any run of
 * characters (slashes too, so `release/*` takes `release/2026/04`), `?` one character,
 * everything else itself. Whole-string matches only.
 */
export function globMatch(pattern: string, text: string): boolean {
  return globRegExp(pattern).test(text);
}

const cache = new Map<string, RegExp>();

function globRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  re = new RegExp(`^${body}$`, 's');
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}
