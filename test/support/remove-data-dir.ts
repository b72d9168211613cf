import { rm } from 'node:fs/promises';

/**
 * Removes a test's directory after a server ran shell tasks in it. Those tasks run in process
 * groups of their own and outlive the server by design (a restarted server adopts them), so one
 * can still be writing its exit file under data/tasks: rm tries again (CI once saw ENOTEMPTY).
 */
export const removeDataDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
