/** The shell: navigation, theme, sign-in state, the live connection's state, and the page for the route. */
import { useEffect } from 'preact/hooks';
import { access, token } from './auth.js';
import { liveProblem, liveStatus } from './live.js';
import { ApprovalsPage } from './pages/approvals.js';
import { CellPage } from './pages/cell.js';
import { EnvironmentsPage } from './pages/environments.js';
import { PipelinePage } from './pages/pipeline.js';
import { AuditPage } from './pages/audit.js';
import { InsightsPage } from './pages/insights.js';
import { ReleasePage } from './pages/release.js';
import { RunPage } from './pages/run.js';
import { SignInPage, detectAccess } from './pages/signin.js';
import { SystemPage } from './pages/system.js';
import { parseRoute, path, type Route } from './router.js';
import { useSignal } from './signal.js';
import { ThemeToggle } from './theme.js';

export function App() {
  const route = parseRoute(useSignal(path));
  const mode = useSignal(access);
  const tok = useSignal(token);
  useEffect(() => {
    void detectAccess();
  }, [tok]);
  useEffect(() => {
    document.title = `${title(route)} · Slipway`;
  }, [route.page]);
  const needsSignIn = mode === 'signed-out' && route.page !== 'signin';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Slipway
        </a>
        <nav aria-label="Main">
          <ul>
            <li><a href="/" aria-current={route.page === 'environments' ? 'page' : undefined}>Environments</a></li>
            <li><a href="/approvals" aria-current={route.page === 'approvals' ? 'page' : undefined}>Approvals</a></li>
            <li><a href="/insights" aria-current={route.page === 'insights' ? 'page' : undefined}>Insights</a></li>
            <li><a href="/audit" aria-current={route.page === 'audit' ? 'page' : undefined}>Audit</a></li>
            <li><a href="/system" aria-current={route.page === 'system' ? 'page' : undefined}>System</a></li>
          </ul>
        </nav>
        <div class="top-right">
          <LiveBadge />
          {mode === 'open-read' && <span class="pill wait" title="The server runs with --open-read: you can look, not act">read-only</span>}
          <a class="btn small" href="/signin">{tok ? 'Token' : 'Sign in'}</a>
          <ThemeToggle />
        </div>
      </header>
      <LiveBanner />
      <main id="main">
        {/* With a token the page loads at once, while access is checked beside it. */}
        {mode === 'unknown' && !tok ? null : needsSignIn ? <SignInPage /> : <Page route={route} />}
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'environments':
      return <EnvironmentsPage key={route.project ?? ''} {...(route.project !== undefined ? { project: route.project } : {})} />;
    case 'pipeline':
      return <PipelinePage key={route.project} project={route.project} />;
    case 'release':
      return <ReleasePage key={route.release} project={route.project} id={route.release} />;
    case 'cell':
      return <CellPage key={`${route.project}/${route.stage}/${route.service}`} project={route.project} stage={route.stage} service={route.service} />;
    case 'run':
      return <RunPage key={route.run} id={route.run} />;
    case 'approvals':
      return <ApprovalsPage />;
    case 'insights':
      return <InsightsPage />;
    case 'audit':
      return <AuditPage />;
    case 'system':
      return <SystemPage />;
    case 'signin':
      return <SignInPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing here. <a href="/">Back to the environments</a>.
          </p>
        </section>
      );
  }
}

function title(r: Route): string {
  switch (r.page) {
    case 'environments':
      return r.project ?? 'Environments';
    case 'run':
      return `Run ${r.run}`;
    case 'release':
      return `Release ${r.release}`;
    case 'cell':
      return `${r.service} in ${r.stage}`;
    default:
      return r.page.charAt(0).toUpperCase() + r.page.slice(1);
  }
}

function LiveBadge() {
  const s = useSignal(liveStatus);
  const text = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting' : s === 'off' ? 'not live' : 'connecting';
  return <span class={`pill ${s === 'live' ? 'good' : s === 'reconnecting' ? 'bad' : 'none'}`} data-live={s}>{text}</span>;
}

function LiveBanner() {
  const s = useSignal(liveStatus);
  const why = useSignal(liveProblem);
  if (s !== 'reconnecting' && s !== 'off') return null;
  return (
    <div class="banner" role="status" data-testid="live-banner">
      {s === 'reconnecting' ? 'Connection lost, reconnecting… (updates resume where they stopped)' : 'Live updates are off'}
      {why ? <span class="muted"> · {why}</span> : null}
    </div>
  );
}
