import type { Store } from '../../src/store/index.js';

/** What a backend hands the contract suite for one test. */
export interface StoreHarness {
  /** A migrated, empty store on fresh storage. */
  store: Store;
  /** Opens another store on the same storage (the case closes the previous one first). */
  reopen(): Promise<Store>;
  /** Closes every store it opened and removes the storage. */
  cleanup(): Promise<void>;
}

/** Hands each case the harness of the test it runs in. */
export type CurrentHarness = () => StoreHarness;
