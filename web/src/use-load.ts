/**
 * Loads what a page shows, after the event stream is open, and loads it again whenever
 * an event the page cares about arrives (coalesced: one request in flight, one more
 * after it when events came meanwhile). Nothing on screen needs a reload.
 */
import { useEffect, useState } from 'preact/hooks';
import { onEvents, whenLive } from './live.js';
import type { CloudEvent } from './types.js';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[], relevant: (e: CloudEvent) => boolean): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    let busy = false;
    let again = false;
    const run = async () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const v = await load();
        if (alive) {
          setData(v);
          setError(null);
        }
      } catch (e) {
        if (alive) setError(e);
      } finally {
        busy = false;
        if (alive && again) {
          again = false;
          void run();
        }
      }
    };
    const off = onEvents((events) => {
      if (events.some(relevant)) void run();
    });
    void whenLive().then(run);
    return () => {
      alive = false;
      off();
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
