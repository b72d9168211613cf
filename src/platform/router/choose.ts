/**
 * Which slot answers a request, in order: the `x-slipway-slot` header (preview routing, even to a
 * slot of weight 0; an unknown name is refused so a test never silently reaches the wrong
 * version); the `slipway-slot` cookie (an unknown name falls through, so a stale browser cookie
 * does not lock a user out); with sticky sessions, the pinned slot while it keeps a weight;
 * otherwise the weighted choice, which sticky sessions then pin by cookie.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RoutingTable, Slot } from './table.js';
import { SLOT_COOKIE, SLOT_HEADER, STICKY_COOKIE } from './types.js';

/** How the slot was chosen: only `weight` and `sticky` choices are live traffic a mirror copies. */
export type Via = 'header' | 'cookie' | 'sticky' | 'weight';

export type Choice =
  | { slot: Slot; via: Via; pin?: string }
  | { slot?: undefined; refusal: string };

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || !header.includes(name)) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const pinCookie = (slot: string): string => `${STICKY_COOKIE}=${slot}; Path=/; HttpOnly; SameSite=Lax`;

export function choose(table: RoutingTable, headers: IncomingHttpHeaders, sticky: boolean): Choice {
  const named = headers[SLOT_HEADER];
  if (typeof named === 'string') {
    const slot = table.get(named);
    return slot ? { slot, via: 'header' } : { refusal: `no slot '${named}' (slots: ${table.names().join(', ') || 'none'})` };
  }
  const cookies = headers.cookie;
  const previewed = table.get(readCookie(cookies, SLOT_COOKIE) ?? '');
  if (previewed) return { slot: previewed, via: 'cookie' };
  if (sticky) {
    const pinned = table.get(readCookie(cookies, STICKY_COOKIE) ?? '');
    if (pinned && pinned.weight > 0) return { slot: pinned, via: 'sticky' };
  }
  const slot = table.pick();
  if (!slot) return { refusal: 'no slot takes traffic (every weight is 0)' };
  return sticky ? { slot, via: 'weight', pin: pinCookie(slot.name) } : { slot, via: 'weight' };
}
