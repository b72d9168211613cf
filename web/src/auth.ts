/**
 * The token a person pasted. Kept in sessionStorage (gone when the tab closes, never in a
 * URL or a cookie) and sent only as `Authorization: Bearer`. Without one, the dashboard
 * still reads when the server runs with --open-read; every change then needs a token.
 */
import { signal } from './signal.js';

const KEY = 'slipway.token';

export type Access = 'unknown' | 'token' | 'open-read' | 'signed-out';

export const token = signal<string | null>(read());
export const access = signal<Access>('unknown');

function read(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function signIn(value: string): void {
  sessionStorage.setItem(KEY, value);
  token.set(value);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  token.set(null);
}
