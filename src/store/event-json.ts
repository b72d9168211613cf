/**
 * An event's JSON, computed once. The engine encodes each decision's events as soon as it
 * is decided, so an event that cannot be encoded (a value nested too deep, a cycle) fails
 * its own input instead of the whole batch's commit; the store then writes the same text
 * without encoding again. Events are never changed once decided, so the text stays true.
 */
import type { SlipwayEvent } from '../core/index.js';

const encoded = new WeakMap<SlipwayEvent, string>();

/** Throws what JSON.stringify throws. */
export function eventJson(e: SlipwayEvent): string {
  let text = encoded.get(e);
  if (text === undefined) {
    text = JSON.stringify(e);
    encoded.set(e, text);
  }
  return text;
}

/**
 * Records `text` (the body it was read from) as the JSON of an event decoded from it: the
 * live stream sends each event read back from the log as JSON again, and the stored text is
 * that JSON (it was written by eventJson), so it is not encoded a second time.
 */
export function knownEventJson(e: SlipwayEvent, text: string): SlipwayEvent {
  encoded.set(e, text);
  return e;
}
