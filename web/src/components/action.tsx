/**
 * One action a person takes (approve, abort, roll back, …): a button that asks first, in a
 * dialog that says what will happen, takes a comment or reason where the API accepts
 * one, calls the API with the token, and shows the API's refusal in its own words.
 */
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError, retries } from '../api.js';

export interface ActionProps {
  label: string;
  /** What the dialog says will happen. */
  confirm: ComponentChildren;
  /** Label of the text field (comment, reason); none when the API takes none. */
  input?: string;
  danger?: boolean;
  run: (text: string) => Promise<unknown>;
  onDone?: (result: unknown) => void;
}

export function Action(p: ActionProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const open = () => {
    setError(null);
    setText('');
    dialog.current?.showModal();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setWaiting(null);
    // What a change sent again waits for (api.ts), shown instead of a bare "Working…".
    const onRetry = (ev: Event) => setWaiting((ev as CustomEvent<string>).detail);
    retries.addEventListener('retry', onRetry);
    try {
      const result = await p.run(text.trim());
      dialog.current?.close();
      setDone(`${p.label}: done`);
      p.onDone?.(result);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code}${err.status ? `, HTTP ${err.status}` : ''})` : `the request failed: ${String(err)}`);
    } finally {
      retries.removeEventListener('retry', onRetry);
      setWaiting(null);
      setBusy(false);
    }
  };
  const id = useRef(`act-${Math.random().toString(36).slice(2, 10)}`).current;
  return (
    <>
      <button type="button" class={p.danger ? 'btn danger' : 'btn'} onClick={open}>
        {p.label}
      </button>
      {done && <span class="sr-only" role="status">{done}</span>}
      <dialog ref={dialog} aria-labelledby={`${id}-title`} class="confirm">
        <form method="dialog" onSubmit={(e) => void submit(e)}>
          <h2 id={`${id}-title`}>{p.label}?</h2>
          <div class="confirm-text">{p.confirm}</div>
          {p.input && (
            <label>
              {p.input}
              <textarea value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} rows={3} />
            </label>
          )}
          {busy && waiting && (
            <p class="waiting" role="status">
              {waiting}
            </p>
          )}
          {error && (
            <p class="error" role="alert">
              Refused: {error}
            </p>
          )}
          <div class="row">
            <button type="button" class="btn" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={p.danger ? 'btn danger' : 'btn primary'} disabled={busy}>
              {busy ? 'Working…' : `Yes, ${p.label.toLowerCase()}`}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
