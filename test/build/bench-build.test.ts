/**
 * The bench's build (scripts/build-bench.js, which `npm run bench` runs first): bundles from the
 * TypeScript sources that run as they are, and a rebuild only when a source changed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const node = (args: string[]): { stdout: string; stderr: string } => {
  let stderr = '';
  try {
    const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return { stdout, stderr };
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr ?? '');
    throw new Error(`node ${args.join(' ')} failed:\n${stderr}`);
  }
};
const build = (): string => execFileSync(process.execPath, ['scripts/build-bench.js'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });

describe('the bench build', () => {
  it('builds only when a source changed since the last build', () => {
    build();
    const built = statSync('dist/bench/bench/run.js').mtimeMs;
    build();
    expect(statSync('dist/bench/bench/run.js').mtimeMs).toBe(built);
    // A source file touched: the next build writes the bench again.
    const file = 'bench/stats.ts';
    const before = statSync(file);
    try {
      const later = new Date(Math.max(Date.now(), before.mtimeMs) + 2_000);
      utimesSync(file, later, later);
      build();
      expect(statSync('dist/bench/bench/run.js').mtimeMs).toBeGreaterThan(built);
    } finally {
      utimesSync(file, before.atime, before.mtime);
    }
  }, 120_000);

  it('runs: the start part through the bundled command, the flag part through the bundled engine and its commit thread', () => {
    build();
    expect(existsSync('dist/bench/bench/commit-worker.js')).toBe(true);
    const start = JSON.parse(node(['dist/bench/bench/start-only.js', '--quick']).stdout) as Record<string, number>;
    expect(start['start.server_listen_ms']).toBeGreaterThan(0);
    expect(start['start.cli_ms']).toBeGreaterThan(0);
    const flags = JSON.parse(node(['dist/bench/bench/flags-only.js', '--quick']).stdout) as Record<string, number>;
    expect(flags['flags.eval_p99_us']).toBeGreaterThan(0);
    expect(flags['flags.evals_per_s']).toBeGreaterThan(0);
  }, 120_000);
});
