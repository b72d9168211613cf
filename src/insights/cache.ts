/**
 * Figures computed from the log at one position stay the figures until the log moves: every
 * change they read (a run ending, a release, a rollback) commits with an event. So an answer
 * is kept per store and query, with the log's last seq when it was computed, and given again
 * while that seq is unchanged; a dashboard opened by many people, or refreshed, costs one
 * computation per commit instead of one per request. Concurrent equal queries share one
 * computation. Only for stores with one writer: with several, a commit with a lower seq can
 * become visible after a higher one, so the last seq would not say that nothing changed.
 */
import type { Store } from '../store/index.js';

/** Queries kept per store; beyond that the least recently asked goes. */
const MAX_ENTRIES = 64;

interface Entry<T> {
  seq: number;
  value: Promise<T>;
}

const caches = new WeakMap<Store, Map<string, Entry<unknown>>>();

export async function cachedByLogPosition<T>(store: Store, key: string, compute: () => Promise<T>): Promise<T> {
  if (store.capabilities.concurrentWriters) return compute();
  let cache = caches.get(store);
  if (!cache) {
    cache = new Map();
    caches.set(store, cache);
  }
  const seq = await store.lastEventSeq();
  const hit = cache.get(key) as Entry<T> | undefined;
  cache.delete(key);
  if (hit && hit.seq === seq) {
    cache.set(key, hit);
    return hit.value;
  }
  const entry: Entry<T> = { seq, value: compute() };
  cache.set(key, entry);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  // A failed computation is not kept: the next request tries again.
  entry.value.catch(() => {
    if (cache.get(key) === entry) cache.delete(key);
  });
  return entry.value;
}
