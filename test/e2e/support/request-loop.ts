/**
 * A client loop for tests that watch a service while it changes (a deploy, a migration): one
 * request after another until stopped, every answer kept in order.
 */
export interface RequestLoop<T> {
  seen: T[];
  /** Stops after `more` further answers (so the last ones were sent after what came before); gives up after 30 s. */
  end(more?: number): Promise<T[]>;
}

/** `endAfter`: how many further answers `end()` waits for when not told. */
export function requestLoop<T>(send: () => Promise<T>, endAfter = 20): RequestLoop<T> {
  let stop = false;
  const seen: T[] = [];
  const done = (async () => {
    while (!stop) seen.push(await send());
  })();
  return {
    seen,
    async end(more = endAfter) {
      const target = seen.length + more;
      const deadline = Date.now() + 30_000;
      while (seen.length < target) {
        if (Date.now() > deadline) throw new Error(`the request loop answered ${seen.length} of ${target} requests in 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      stop = true;
      await done;
      return seen;
    },
  };
}
