/** A failed load, in words: the API's message, or what went wrong on the way. */
import { ApiError } from '../api.js';

export function LoadError({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
  const signIn = error instanceof ApiError && error.status === 401;
  return (
    <p class="error" role="alert">
      Could not load this: {text}
      {signIn && (
        <>
          {' '}
          <a href="/signin">Sign in with a token</a>
        </>
      )}
    </p>
  );
}

export function Loading() {
  return <p class="muted" aria-live="polite">Loading…</p>;
}
