/** The figures, their targets, and the two ways of printing them (a table, or one JSON object). */
import type { RawResult } from './raw-sqlite.js';
import type { ScenarioResult } from './scenario.js';
import { round } from './stats.js';

export interface Target {
  figure: string;
  value: number;
  target: string;
  met: boolean;
}

export interface Report {
  bench: 'slipway';
  date: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; cpu: string; node: string; platform: string; dir: string; loadavg1m: number };
  figures: Record<string, number>;
  targets: Target[];
  /** The point the figures come from: N concurrent runs of M noop tasks (median by transitions/s of `of` repetitions). */
  headline: { n: number; m: number; of: number };
  /** The reference measured right before the headline run; rawAll: before each N=1000 run. */
  raw: RawResult;
  rawAll: RawResult[];
  points: ScenarioResult[];
  /** Same N, tasks that take time: dispatch latency when the engine is not saturated (no target). */
  paced: ScenarioResult | null;
}

export function figuresOf(head: ScenarioResult, raw: RawResult): { figures: Record<string, number>; targets: Target[] } {
  const ratio = head.transitionsPerS / raw.durableCommitsPerS;
  const figures = {
    'engine.transitions_per_s': head.transitionsPerS,
    'engine.dispatch_p50_ms': head.dispatchP50Ms,
    'engine.dispatch_p99_ms': head.dispatchP99Ms,
    'sqlite.durable_commits_per_s': round(raw.durableCommitsPerS, 0),
    'engine.ratio_to_raw': round(ratio, 2),
    'engine.batches': head.batches,
    'engine.mean_inputs_per_batch': head.meanInputsPerBatch,
  };
  const targets: Target[] = [
    { figure: 'engine.dispatch_p99_ms', value: head.dispatchP99Ms, target: `< 5 ms at ${head.n} concurrent runs`, met: head.dispatchP99Ms < 5 },
    { figure: 'engine.ratio_to_raw', value: figures['engine.ratio_to_raw'], target: '>= 1.0', met: ratio >= 1 },
  ];
  return { figures, targets };
}

const pad = (s: string | number, w: number): string => String(s).padStart(w);

export function formatText(r: Report): string {
  const lines: string[] = [];
  lines.push(`slipway bench (${r.mode}) ${r.date} — ${r.machine.cpus} × ${r.machine.cpu}, node ${r.machine.node}, load ${r.machine.loadavg1m}, store in ${r.machine.dir}`);
  lines.push('');
  lines.push('     N    M  task ms   seconds  transitions/s  batches  inputs/batch   batch ms  dispatch p50  p99 ms  max ms');
  for (const p of [...r.points, ...(r.paced ? [r.paced] : [])]) {
    lines.push(
      `${pad(p.n, 6)} ${pad(p.m, 4)} ${pad(p.taskMs, 8)} ${pad(p.seconds, 9)} ${pad(p.transitionsPerS, 14)} ${pad(p.batches, 8)} ${pad(p.meanInputsPerBatch, 13)} ${pad(p.meanBatchMs, 10)} ${pad(p.dispatchP50Ms, 13)} ${pad(p.dispatchP99Ms, 7)} ${pad(p.dispatchMaxMs, 7)}`,
    );
  }
  lines.push('');
  const all = r.rawAll.map((x) => Math.round(x.durableCommitsPerS)).join(', ');
  lines.push(`raw SQLite (WAL, synchronous=FULL, 1 INSERT per transaction) before each N=${r.headline.n} run: ${all} commits/s`);
  lines.push('');
  lines.push(`figures at N=${r.headline.n}, M=${r.headline.m}${r.headline.of > 1 ? ` (the median of ${r.headline.of} runs by transitions/s)` : ''}:`);
  for (const [name, value] of Object.entries(r.figures)) {
    const t = r.targets.find((x) => x.figure === name);
    lines.push(`  ${name.padEnd(30)} ${pad(value, 10)}  ${t ? `target ${t.target}: ${t.met ? 'met' : 'MISSED'}` : ''}`.trimEnd());
  }
  if (r.paced) {
    lines.push(`  (informative) dispatch p99 with ${r.paced.taskMs} ms tasks at N=${r.paced.n}: ${r.paced.dispatchP99Ms} ms`);
  }
  const missed = r.targets.filter((t) => !t.met);
  lines.push('');
  lines.push(missed.length === 0 ? 'all targets met' : `targets missed: ${missed.map((t) => t.figure).join(', ')}`);
  return lines.join('\n');
}
