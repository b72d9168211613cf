/**
 * `npm run bench [-- --quick] [-- --json] [-- --dir <path>]`: N concurrent runs of M noop
 * tasks on a SQLite file, against a raw durable-commit reference measured in the same run.
 * Progress goes to stderr; stdout carries the table, or with --json exactly one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureRawCommits, type RawResult } from './raw-sqlite.js';
import { figuresOf, formatText, type Report } from './report.js';
import { runScenario, type ScenarioResult } from './scenario.js';
import { round } from './stats.js';

interface Point {
  n: number;
  m: number;
  taskMs: number;
}

// `repeat`: how often the N=1000 point runs; the figures come from the run with the median transitions/s.
const plans = {
  quick: { rawMs: 2000, repeat: 1, points: [{ n: 10, m: 5 }, { n: 100, m: 5 }, { n: 1000, m: 5 }], paced: { n: 1000, m: 3, taskMs: 1000 } },
  full: { rawMs: 2000, repeat: 3, points: [{ n: 10, m: 20 }, { n: 100, m: 20 }, { n: 1000, m: 20 }, { n: 2000, m: 10 }], paced: { n: 1000, m: 10, taskMs: 1000 } },
};
const HEADLINE_N = 1000;

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, dir: { type: 'string' } },
});
const mode = args.quick ? 'quick' : 'full';
const plan = plans[mode];
const progress = (line: string) => process.stderr.write(`${line}\n`);

async function point(root: string, p: Point, label: string): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(root, `n${p.n}-m${p.m}-`));
  progress(`${label}: N=${p.n} M=${p.m}${p.taskMs ? ` task ${p.taskMs} ms` : ''} …`);
  try {
    const r = await runScenario(p.n, p.m, p.taskMs, dir, 240_000);
    progress(`  ${r.seconds} s, ${r.transitionsPerS} transitions/s, ${r.batches} batches (${r.meanInputsPerBatch} inputs each), dispatch p99 ${r.dispatchP99Ms} ms`);
    if (r.runsSucceeded !== p.n) throw new Error(`only ${r.runsSucceeded} of ${p.n} runs succeeded; the figures would not mean anything`);
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function reference(root: string, ms: number): RawResult {
  progress(`raw SQLite durable commits for ${ms} ms …`);
  const raw = measureRawCommits(mkdtempSync(join(root, 'raw-')), ms);
  progress(`  ${Math.round(raw.durableCommitsPerS)} commits/s`);
  return raw;
}

async function main(): Promise<void> {
  // Other processes on the machine skew every figure; the load average at the start tells a reader how much.
  const load = round(loadavg()[0] ?? 0, 2);
  const root = mkdtempSync(join(args.dir ?? tmpdir(), 'slipway-bench-'));
  try {
    await point(root, { n: 100, m: 5, taskMs: 0 }, 'warm-up (discarded)');
    const points: ScenarioResult[] = [];
    // The disk's fsync speed drifts with whatever else the machine does, so the reference is
    // measured right before each N=1000 run and paired with it.
    const heads: { head: ScenarioResult; raw: RawResult }[] = [];
    for (const p of plan.points) {
      const times = p.n === HEADLINE_N ? plan.repeat : 1;
      for (let i = 0; i < times; i++) {
        const raw = p.n === HEADLINE_N ? reference(root, plan.rawMs) : undefined;
        const r = await point(root, { ...p, taskMs: 0 }, 'saturated');
        points.push(r);
        if (raw) heads.push({ head: r, raw });
      }
    }
    const paced = await point(root, plan.paced, 'paced');
    const rawAll = heads.map((h) => h.raw);
    heads.sort((a, b) => a.head.transitionsPerS - b.head.transitionsPerS);
    const { head, raw } = heads[Math.floor(heads.length / 2)]!;
    const report: Report = {
      bench: 'slipway',
      date: new Date().toISOString(),
      mode,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}`, dir: root, loadavg1m: load },
      ...figuresOf(head, raw),
      headline: { n: head.n, m: head.m, of: heads.length },
      raw,
      rawAll,
      points,
      paced,
    };
    process.stdout.write(`${args.json ? JSON.stringify(report) : formatText(report)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  progress(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
