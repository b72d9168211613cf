/**
 * System: the server itself. The store kind, the replica that answered and the active one
 * (GET /api/v1/system/replicas, scope read), and readiness (GET /readyz). Polled every 2 s
 * instead of following the event stream: a replica's role and the lease change without an
 * event, and during a takeover the stream itself is down.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api.js';
import { LoadError, Loading } from '../components/errors.js';
import { duration, time } from '../format.js';

type Role = 'active' | 'standby' | 'activating' | 'demoting' | 'stopped';
interface ReplicaStatus {
  replica: { id: string; role: Role; url: string | null };
  active: { id: string; url: string | null; epoch: number; expiresAt: string | null; acquiredAt: string | null } | null;
  leaseMs: number | null;
  store: 'sqlite' | 'postgres';
}
/** Readiness as the server gave it: ready, or its code and message (STORE, NO_ACTIVE_REPLICA, …). */
type Ready = { ok: true } | { ok: false; code: string; message: string };

const EVERY_MS = 2_000;

interface Polled {
  status: ReplicaStatus | undefined;
  ready: Ready | undefined;
  /** When the replica status last arrived (browser clock). */
  at: number | null;
  /** The server could not be reached at the last poll (no HTTP answer at all). */
  unreachable: string | null;
  /** The server answered the status request with an error (401, 403, …). */
  error: unknown;
}

async function readiness(): Promise<Ready> {
  try {
    await get('/readyz');
    return { ok: true };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

function usePolled(): Polled {
  const [p, setP] = useState<Polled>({ status: undefined, ready: undefined, at: null, unreachable: null, error: null });
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const [s, r] = await Promise.allSettled([get<ReplicaStatus>('/api/v1/system/replicas'), readiness()]);
      if (!alive) return;
      // No HTTP answer (a TypeError from fetch) is "cannot reach"; an answer with an error code is the server's word.
      const lost = [s, r].find((x): x is PromiseRejectedResult => x.status === 'rejected' && !(x.reason instanceof ApiError));
      setP((prev) => ({
        status: s.status === 'fulfilled' ? s.value : prev.status,
        ready: r.status === 'fulfilled' ? r.value : prev.ready,
        at: s.status === 'fulfilled' ? Date.now() : prev.at,
        unreachable: lost ? String(lost.reason instanceof Error ? lost.reason.message : lost.reason) : null,
        error: s.status === 'rejected' && s.reason instanceof ApiError ? s.reason : null,
      }));
      timer = setTimeout(() => void poll(), EVERY_MS);
    };
    void poll();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, []);
  return p;
}

/** Re-renders every second so "N s ago" and "expires in N s" move between polls. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

const ROLE_TONE: Record<Role, string> = { active: 'good', standby: 'none', activating: 'wait', demoting: 'wait', stopped: 'bad' };

function RolePill({ role }: { role: Role }) {
  return <span class={`pill ${ROLE_TONE[role]}`} data-role={role}>{role}</span>;
}

function seconds(ms: number): string {
  return duration(Math.max(0, ms));
}

export function SystemPage() {
  const p = usePolled();
  const now = useNow();
  const s = p.status;
  const a = s?.active;
  const expires = a?.expiresAt ? Date.parse(a.expiresAt) : null;
  const since = a?.acquiredAt ? Date.parse(a.acquiredAt) : null;
  return (
    <section>
      <h1>System</h1>
      <p class="muted" data-testid="system-updated">
        {p.at === null ? 'Not loaded yet' : `Updated ${seconds(now - p.at)} ago`} · refreshes every {EVERY_MS / 1000} s
      </p>
      {p.unreachable !== null && (
        <p class="error" role="alert" data-testid="system-unreachable">
          Cannot reach the server ({p.unreachable}). Still trying every {EVERY_MS / 1000} s{p.at !== null ? `; below is what it said ${seconds(now - p.at)} ago` : ''}.
        </p>
      )}
      <LoadError error={p.error} />
      {!s && p.unreachable === null && !p.error && <Loading />}
      {s && (
        <>
          <h2>Store</h2>
          <dl class="facts">
            <dt>Kind</dt>
            <dd data-testid="system-store">{s.store === 'sqlite' ? 'sqlite (embedded, one process)' : 'postgres'}</dd>
            <dt>Lease time</dt>
            <dd data-testid="system-lease-ms">{s.leaseMs === null ? 'none (one process holds the engine)' : `${s.leaseMs} ms`}</dd>
          </dl>

          <h2>Answered by</h2>
          <dl class="facts" data-testid="system-replica" data-id={s.replica.id} data-role={s.replica.role}>
            <dt>Replica</dt>
            <dd class="mono">{s.replica.id}</dd>
            <dt>Role</dt>
            <dd>
              <RolePill role={s.replica.role} />
            </dd>
            <dt>URL</dt>
            <dd class="mono">{s.replica.url ?? '— (the only process)'}</dd>
          </dl>

          <h2>Active replica</h2>
          {a ? (
            <dl class="facts" data-testid="system-active" data-id={a.id}>
              <dt>Replica</dt>
              <dd class="mono">{a.id}</dd>
              <dt>URL</dt>
              <dd class="mono">{a.url ?? '—'}</dd>
              <dt>Epoch</dt>
              <dd>{a.epoch}</dd>
              <dt>Lease</dt>
              <dd>{expires === null ? 'no lease (one process)' : expires >= now ? `expires in ${seconds(expires - now)} (${time(expires)}) unless renewed` : `expired ${seconds(now - expires)} ago`}</dd>
              <dt>Held since</dt>
              <dd>{since === null ? 'the server started' : `${time(since)} (${duration(Math.max(0, now - since))})`}</dd>
            </dl>
          ) : (
            <p class="error" role="status" data-testid="system-no-active">
              No replica is active: none holds the engine lease now. A standby takes it over within the lease time ({s.leaseMs ?? '?'} ms); until then a standby answers other requests with 503 NO_ACTIVE_REPLICA.
            </p>
          )}
        </>
      )}
      <h2>Readiness</h2>
      <div aria-live="polite">
        {p.ready === undefined ? (
          <Loading />
        ) : p.ready.ok ? (
          <p data-testid="system-ready" data-ready="yes">
            <span class="pill good">ready</span> the store answers and this server can do work.
          </p>
        ) : (
          <p data-testid="system-ready" data-ready="no">
            <span class="pill bad">not ready</span> {p.ready.message} <span class="muted">({p.ready.code})</span>
          </p>
        )}
      </div>
    </section>
  );
}
