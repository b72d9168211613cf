import type { ChildProcess } from 'node:child_process';

/**
 * When a child process has ended with its output read to the end: on 'close' ('exit' may come
 * while stdout and stderr still hold output not yet read). A grandchild that kept them open would
 * hold 'close' back, so 2 s after 'exit' it resolves anyway.
 */
export function ended(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
    proc.on('exit', (code, signal) => setTimeout(() => resolve({ code, signal }), 2000).unref());
  });
}
