/**
 * Client routes (History API). The server answers these paths with index.html
 * (src/api/static.ts CLIENT_ROUTES names their first segments: keep both in step).
 */
import { signal } from './signal.js';

export const path = signal(location.pathname + location.search);

export function navigate(to: string): void {
  if (to === path.get()) return;
  history.pushState(null, '', to);
  path.set(to);
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => path.set(location.pathname + location.search));

// Plain <a href="/…"> links move inside the app instead of loading the page again.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.origin !== location.origin || a.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});

export type Route =
  | { page: 'environments'; project?: string }
  | { page: 'pipeline'; project: string }
  | { page: 'release'; project: string; release: string }
  | { page: 'cell'; project: string; stage: string; service: string }
  | { page: 'run'; run: string }
  | { page: 'approvals' }
  | { page: 'insights' }
  | { page: 'audit' }
  | { page: 'system' }
  | { page: 'signin' }
  | { page: 'not-found' };

export function parseRoute(p: string): Route {
  const parts = p.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b, c, d, e, f, g] = parts;
  if (parts.length === 0) return { page: 'environments' };
  if (a === 'projects' && b && parts.length === 2) return { page: 'environments', project: b };
  if (a === 'projects' && b && c === 'pipeline' && parts.length === 3) return { page: 'pipeline', project: b };
  if (a === 'projects' && b && c === 'releases' && d && parts.length === 4) return { page: 'release', project: b, release: d };
  if (a === 'projects' && b && c === 'stages' && d && e === 'services' && f && parts.length === 6 && g === undefined) return { page: 'cell', project: b, stage: d, service: f };
  if (a === 'runs' && b && parts.length === 2) return { page: 'run', run: b };
  if (a === 'approvals' && parts.length === 1) return { page: 'approvals' };
  if (a === 'insights' && parts.length === 1) return { page: 'insights' };
  if (a === 'audit' && parts.length === 1) return { page: 'audit' };
  if (a === 'system' && parts.length === 1) return { page: 'system' };
  if (a === 'signin' && parts.length === 1) return { page: 'signin' };
  return { page: 'not-found' };
}

const e = encodeURIComponent;
export const links = {
  project: (p: string) => `/projects/${e(p)}`,
  pipeline: (p: string) => `/projects/${e(p)}/pipeline`,
  release: (p: string, r: string) => `/projects/${e(p)}/releases/${e(r)}`,
  cell: (p: string, s: string, svc: string) => `/projects/${e(p)}/stages/${e(s)}/services/${e(svc)}`,
  run: (r: string) => `/runs/${e(r)}`,
};
