/** insights.test.ts again, on PostgreSQL (SLIPWAY_TEST_STORE=postgres in this file's worker). */
import { againOnPostgres } from './support/e2e-store.js';

await againOnPostgres('insights', () => import('./insights.test.js'));
