/**
 * `slipway slo check`: scores a Keptn slo.yaml against given values offline, as the lighthouse
 * would, so teams can test SLO files in their own CI. Exit 0 pass, 1 fail, 3 warning, 2 bad input.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { ObjectiveResult, SloEvaluation } from '../../evaluation/index.js';
import { resultColor } from '../output.js';
import { table } from '../table.js';

const EXIT = { pass: 0, fail: 1, warning: 3 } as const;

interface SloCheckOptions {
  values: string;
  history?: string;
  json?: boolean;
}

export function registerSlo(program: Command): void {
  const slo = program.command('slo').description('Keptn SLO files (slo.yaml)');
  slo
    .command('check')
    .description('score an SLO file against measured values, offline (exit 0 pass, 1 fail, 3 warning, 2 bad input)')
    .argument('<slo-file>', 'Keptn slo.yaml')
    .requiredOption('--values <file>', 'JSON object: SLI name → measured value')
    .option('--history <file>', 'JSON list of earlier evaluations, oldest first: [{"result": "pass", "values": {…}}]')
    .option('--json', 'print {score, result, objectives} as JSON')
    .action(async (file: string, opts: SloCheckOptions) => {
      // Loaded here, not at the top: other commands start without the evaluation and spec modules (fast start).
      const { scoreSlo, sloHistorySchema, sloValuesSchema } = await import('../../evaluation/index.js');
      const { loadKeptnSloFile } = await import('../../spec/index.js');
      const spec = loadKeptnSloFile(file);
      const values = readJson(opts.values, '--values', sloValuesSchema);
      const history = opts.history === undefined ? [] : readJson(opts.history, '--history', sloHistorySchema);
      const evaluation = scoreSlo(spec, values, history);
      if (opts.json) {
        const objectives = evaluation.objectives.map((o) => ({ sli: o.sli, value: o.value, score: o.score, status: o.status }));
        process.stdout.write(`${JSON.stringify({ score: evaluation.score, result: evaluation.result, objectives })}\n`);
      } else {
        process.stdout.write(`${render(evaluation)}\n`);
      }
      process.exitCode = EXIT[evaluation.result];
    });
}

function readJson<T extends z.ZodType>(path: string, flag: string, schema: T): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('INVALID_INPUT', `${path} (${flag}): cannot read it as JSON: ${reason}`, { file: path, field: flag });
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
  const form = flag === '--values' ? '{"SLI name": number, …}' : '[{"result": "pass" | "warning" | "fail", "values": {"SLI name": number, …}}, …] (oldest first)';
  throw new SlipwayError('INVALID_INPUT', `${path} (${flag}): ${field}: ${issue.message}; the file holds ${form}`, { file: path, field });
}

function render(e: SloEvaluation): string {
  const rows = e.objectives.map((o) => [o.displayName === o.sli ? o.sli : `${o.sli} (${o.displayName})`, o.keySli ? 'yes' : '', fmt(o.value), targets(o), compared(o), `${fmt(o.score)}/${o.status === 'info' ? 0 : o.weight}`, resultColor(o.status === 'info' ? '' : o.status)(o.status)]);
  const head = table(['SLI', 'KEY', 'VALUE', 'TARGETS', 'COMPARED WITH', 'SCORE', 'STATUS'], rows);
  return `${head}\n\n${resultColor(e.result)(e.result)}: ${e.reason}`;
}

function targets(o: ObjectiveResult): string {
  if (o.message) return o.message;
  return o.targets.map((t) => `${t.list === 'warning' ? 'warn ' : ''}${t.criteria}${t.target === null || !t.relative ? '' : ` (${fmt(t.target)})`}${t.violated ? ' ✗' : ''}`).join(', ') || '-';
}

function compared(o: ObjectiveResult): string {
  const c = o.comparedWith;
  if (!c) return '-';
  if (c.aggregate === null) return 'no data (relative criteria pass)';
  return `${c.aggregateFunction} ${fmt(c.aggregate)} of ${c.values.length}`;
}

function fmt(n: number | null): string {
  if (n === null) return '-';
  return String(Math.round(n * 10_000) / 10_000);
}
