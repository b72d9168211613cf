/**
 * A shell task's output, followed while the command runs: asks the output route from the
 * offset it reached, about once a second while the task is on, and once more when it ended
 * (the rest of the log). What is on screen is kept to its last 256 KiB; the server keeps
 * the whole log (bounded by the executor).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, get, url } from '../api.js';
import type { Task } from '../types.js';
import { TaskOutput } from './task-output.js';

interface Answer {
  next: number;
  text: string;
  done: boolean;
  logged: boolean;
}

const POLL_MS = 1000;
const KEEP_CHARS = 256 * 1024;

/** `fallback`: what the task's `.finished` event kept (the log's tail), shown where the server has no log file (a data directory from before logs were kept). */
export function LiveOutput({ runId, t, exitCode, fallback }: { runId: string; t: Task; exitCode?: number | undefined; fallback?: Record<string, unknown> | undefined }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<{ logged: boolean; done: boolean; error?: string }>({ logged: false, done: false });
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  const on = t.state === 'started' || t.state === 'triggered' || t.state === 'finished';
  const ended = t.state === 'finished' || t.state === 'skipped';
  // Where the text on screen ends in the log; kept across the task's state changes.
  const key = `${runId}/${t.name}/${t.attempt}`;
  const at = useRef({ key, from: 0 });
  if (at.current.key !== key) {
    at.current = { key, from: 0 };
    setText('');
  }
  useEffect(() => {
    if (!on) return undefined;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const path = `/api/v1/runs/${enc(runId)}/tasks/${enc(t.name)}/output`;
    const step = async () => {
      try {
        // The limit bounds one answer; a long log arrives over several, back to back.
        for (;;) {
          const from = at.current.from;
          const a = await get<Answer>(url(path, { from: String(from), attempt: String(t.attempt) }));
          if (!alive || at.current.key !== key || at.current.from !== from) return;
          at.current.from = a.next;
          if (a.text) setText((s) => (s + a.text).slice(-KEEP_CHARS));
          setState({ logged: a.logged, done: a.done });
          if (a.done || a.next === from) break;
        }
      } catch (e) {
        if (alive) setState((s) => ({ ...s, error: e instanceof Error ? e.message : String(e) }));
      }
      // While the command runs, ask again; once the task ended, its log has been read to the end.
      if (alive && !ended) timer = setTimeout(() => void step(), POLL_MS);
    };
    void step();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [key, on, ended]);
  useEffect(() => {
    const el = pre.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [text]);
  if (!state.logged && !text) return <TaskOutput output={fallback} />;
  const running = !ended;
  return (
    <div class="output">
      <details open>
        <summary>
          Output{exitCode !== undefined ? ` (exit code ${exitCode})` : ''}
          {running && (
            <span class="mark live-output" role="status">
              {' '}
              live
            </span>
          )}
        </summary>
        <pre
          class="log"
          tabIndex={0}
          ref={pre}
          data-output={t.name}
          aria-live={running ? 'polite' : 'off'}
          onScroll={(e) => {
            const el = e.currentTarget;
            // Scrolled up to read: stop jumping to the end until scrolled back down.
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {text || (running ? '(no output yet)' : '(no output)')}
        </pre>
        {state.error && <p class="bad-text">Output unavailable: {state.error}</p>}
      </details>
    </div>
  );
}
