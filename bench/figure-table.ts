/**
 * `table` in `--json`: every figure in one list, each with the reference it is read against
 * (a figure measured in the same run, named) and its target, met or not. A figure without a
 * target is information; one without a reference has none in this bench.
 */
import type { Target } from './report.js';

export interface TableRow {
  figure: string;
  value: number;
  /** The same-run reference: its figure name and value. */
  reference?: { figure: string; value: number };
  target?: string;
  met?: boolean;
}

/** Figure → the figure it is compared with, measured in the same run. */
const REFERENCES: Record<string, string> = {
  'engine.transitions_per_s': 'sqlite.durable_commits_per_s',
  'engine.ratio_to_raw': 'sqlite.durable_commits_per_s',
  'engine.dispatch_p99_ms': 'engine.dispatch_p99_ms_closed_loop',
  'engine.dispatch_p50_ms': 'engine.dispatch_p99_ms_closed_loop',
  'api.status_p99_ms_under_load': 'api.status_p99_ms_idle_paced',
  'api.status_p50_ms_under_load': 'api.status_p99_ms_idle_paced',
  'api.dora_p99_ms': 'api.dora_reference_scan_ms',
  'api.dora_p50_ms': 'api.dora_reference_scan_ms',
  'router.rps': 'nginx.rps',
  'router.ratio_to_nginx': 'nginx.rps',
  'router.added_p99_ms': 'nginx.added_p99_ms',
  'router.cpu_us_per_req': 'nginx.cpu_us_per_req',
  'checks.gate_samples_per_s': 'checks.gate_demanded_per_s',
  'checks.slo_score_us': 'checks.slo_load_us',
  'flags.evals_per_s': 'flags.reference_per_s',
  'start.server_listen_ms': 'start.node_listen_ms',
  'start.server_cpu_ms': 'start.node_listen_cpu_ms',
  'start.cli_ms': 'start.node_exit_ms',
  'web.matrix_ready_ms': 'web.matrix_api_ms',
  'web.live_update_ms': 'web.live_sse_p99_ms',
  'pg.transitions_per_s': 'pg.durable_commits_per_s',
  'pg.ratio_to_raw': 'pg.durable_commits_per_s',
  'pg.tasks_per_s': 'pg.graphile_worker_jobs_per_s',
  'pg.ratio_to_graphile_worker': 'pg.graphile_worker_jobs_per_s',
  'pg.replicas3_ratio': 'pg.replicas1_runs_per_s',
  'pg.replicas3_runs_per_s': 'pg.replicas1_runs_per_s',
  'stress.cpu_cores': 'stress.evaluations_per_s',
  'stress.rss_mb': 'stress.evaluations_per_s',
  'stress.rss_growth': 'stress.evaluations_per_s',
};

export function figureTable(figures: Readonly<Record<string, number>>, targets: readonly Target[]): TableRow[] {
  return Object.entries(figures).map(([figure, value]) => {
    const ref = REFERENCES[figure];
    const t = targets.find((x) => x.figure === figure);
    return {
      figure,
      value,
      ...(ref !== undefined && figures[ref] !== undefined ? { reference: { figure: ref, value: figures[ref] } } : {}),
      ...(t ? { target: t.target, met: t.met } : {}),
    };
  });
}
