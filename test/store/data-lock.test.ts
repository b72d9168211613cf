/** The data directory's lock: one process at a time, re-entrant within a process, named holder. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir, readHolder } from '../../src/store/index.js';

const BETTER_SQLITE = fileURLToPath(new URL('../../node_modules/better-sqlite3/lib/index.js', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Another process holding the lock file the way Slipway does, until it is killed. */
async function otherHolder(): Promise<() => Promise<void>> {
  const code = `const D = (await import(${JSON.stringify(BETTER_SQLITE)})).default; const db = new D(${JSON.stringify(join(dir, 'slipway.lock'))}); db.exec('BEGIN EXCLUSIVE'); console.log('held'); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => p.stdout.once('data', () => r()));
  return async () => {
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
  };
}

describe('data directory lock', () => {
  it('is re-entrant within a process and free again once every holder released it', () => {
    const a = lockDataDir(dir);
    const b = lockDataDir(dir);
    expect(readHolder(dir)).toMatchObject({ pid: process.pid });
    a.release();
    a.release();
    expect(readHolder(dir)).toMatchObject({ pid: process.pid });
    b.release();
    expect(existsSync(join(dir, 'slipway.lock.json'))).toBe(false);
    lockDataDir(dir).release();
  });

  it('names the holding command without the password of a store URL', () => {
    const argv = process.argv;
    process.argv = [argv[0]!, '/opt/slipway/bin/slipway.js', 'server', '--store', 'postgres://slipway:hunter2-pw@127.0.0.1:5432/slipway', '--data', 'd'];
    try {
      const lock = lockDataDir(dir);
      const holder = readHolder(dir);
      lock.release();
      expect(holder?.command).toBe('slipway server --store postgres://slipway:***@127.0.0.1:5432/slipway --data d');
    } finally {
      process.argv = argv;
    }
  });

  it('is refused while another process holds it, with DATA_DIR_LOCKED, and taken once that process is killed', async () => {
    const kill = await otherHolder();
    try {
      expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'DATA_DIR_LOCKED', message: expect.stringContaining(`the data directory ${dir} is in use by another Slipway process`) }));
    } finally {
      await kill();
    }
    const lock = lockDataDir(dir);
    expect(readHolder(dir)).toMatchObject({ pid: process.pid });
    lock.release();
  });
});
