/**
 * Fractional rollout. A user's bucket is a stable hash of (flag key, targeting key) mod
 * 10000, and the user gets the rolled-out variant iff bucket < percent × 100. The bucket
 * never changes, so raising the share only adds users: nobody flips back as it grows, and a
 * user's place differs per flag (the key is hashed too), so the same users are not always first.
 *
 * The hash is MurmurHash3 (x86, 32-bit, seed 0) over the UTF-8 bytes of `<flag>/<key>`: the
 * hash flagd's fractional rollout uses, fast and well spread; no crypto is needed here.
 */

export const BUCKETS = 10_000;

export function murmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3:
      k ^= bytes[blocks + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[blocks + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[blocks]!;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();

/** The user's bucket for a flag: 0..9999. */
export function bucketOf(flag: string, targetingKey: string): number {
  return murmur3(utf8.encode(`${flag}/${targetingKey}`)) % BUCKETS;
}

/** Percent (0..100, two decimals) as the number of buckets that get the variant. */
export function thresholdOf(percent: number): number {
  return Math.max(0, Math.min(BUCKETS, Math.round(percent * 100)));
}

/** Whether a user falls inside a rollout of `percent`. */
export function inRollout(flag: string, targetingKey: string, percent: number): boolean {
  return bucketOf(flag, targetingKey) < thresholdOf(percent);
}
