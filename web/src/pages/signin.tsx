/** Sign in by pasting a token; it stays in this tab's session storage only. */
import { useState } from 'preact/hooks';
import { ApiError, get } from '../api.js';
import { access, signIn, signOut, token } from '../auth.js';
import { navigate } from '../router.js';
import { useSignal } from '../signal.js';

export function SignInPage() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const current = useSignal(token);
  const mode = useSignal(access);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = value.trim();
    if (!t) return setError('paste a token first');
    try {
      await fetchCheck(t);
      signIn(t);
      access.set('token');
      navigate('/');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <section class="narrow">
      <h1>Sign in</h1>
      {mode === 'open-read' && <p>This server lets anyone read. Sign in to approve, promote, roll back and the rest.</p>}
      <p>
        Paste an API token (the first start wrote an admin token to <code>.slipway/admin-token</code>; <code>slipway token create</code> makes scoped ones). It is kept in this tab's
        session storage only, sent as <code>Authorization: Bearer</code>, and forgotten when the tab closes.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">Token</label>
        <input id="token" type="password" autoComplete="off" spellcheck={false} value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} placeholder="slw_…" />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary" type="submit">
          Sign in
        </button>
      </form>
      {current && (
        <p>
          <button class="btn" type="button" onClick={() => { signOut(); void detectAccess(); }}>
            Sign out
          </button>
        </p>
      )}
    </section>
  );
}

async function fetchCheck(t: string): Promise<void> {
  const res = await fetch('/api/v1/projects', { headers: { authorization: `Bearer ${t}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string; code?: string };
    throw new ApiError(res.status, body.code ?? 'HTTP', body.message ?? `the server answered ${res.status}`);
  }
}

/** Whether this tab reads with a token, reads openly (--open-read), or must sign in. */
export async function detectAccess(): Promise<void> {
  try {
    await get('/api/v1/projects');
    access.set(token.get() ? 'token' : 'open-read');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      if (token.get()) {
        // A token this server does not know (revoked, another server): try without it.
        signOut();
        return detectAccess();
      }
      access.set('signed-out');
    } else access.set(token.get() ? 'token' : 'open-read');
  }
}
