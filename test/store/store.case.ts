/**
 * The Store contract: every backend runs this one suite (sqlite.test.ts, postgres.test.ts)
 * against real storage. A backend that cannot pass a case skips it and says why.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { accessCases } from './cases/access.case.js';
import { commitCases } from './cases/commit.case.js';
import { keptnCases } from './cases/keptn.case.js';
import { lifecycleCases } from './cases/lifecycle.case.js';
import { queryCases } from './cases/queries.case.js';
import { secretCases } from './cases/secrets.case.js';
import { notificationCases } from './cases/notifications.case.js';
import { moreReadCases } from './cases/reads-more.case.js';
import { idempotencyCases } from './cases/idempotency.case.js';
import type { CurrentHarness, StoreHarness } from './harness.js';

export type { StoreHarness } from './harness.js';

export function storeContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness | undefined;
    beforeEach(async () => {
      harness = await open();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });
    const current: CurrentHarness = () => {
      if (!harness) throw new Error('no store open: cases run only inside a test');
      return harness;
    };
    commitCases(current);
    queryCases(current);
    lifecycleCases(current);
    accessCases(current);
    secretCases(current);
    keptnCases(current);
    notificationCases(current);
    moreReadCases(current);
    idempotencyCases(current);
  });
}
