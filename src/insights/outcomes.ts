/**
 * What each production deployment was, in order: a failure or not, and a change, a rollback
 * or a fix. The rules (docs/insights.md):
 * - failed: its run failed; or it succeeded and was rolled back (an alarm fired on its run,
 *   or a rollback put an earlier release back while it was live); or the next forward
 *   deployment was queued by a failed run's finish (a remediation: "followed by a fix").
 * - rollback: its run was queued to put an earlier release back.
 * - fix: a forward deployment queued by a failed run's finish, or the first forward
 *   deployment after a failed one (what repairs it, or tries to).
 * - change: any other.
 */

export interface Deployment {
  runId: string;
  releaseId: string;
  finishedAt: number;
  succeeded: boolean;
  /** Queued to put an earlier release back. */
  rollback: boolean;
  /** Queued by the finish of a failed run. */
  carriedFail: boolean;
}

/** An alarm on a watched run, or a rollback of the stage (from the event log). */
export interface Revert {
  at: number;
  /** The alarm's watched run, or the failed run an automatic rollback answers. */
  runId?: string;
  /** The releases a rollback took out (its `from`). */
  releases: readonly string[];
}

export type DeploymentKind = 'change' | 'rollback' | 'fix';

export interface Outcome extends Deployment {
  failed: boolean;
  why?: 'failed' | 'rolled back' | 'followed by a fix';
  kind: DeploymentKind;
}

/**
 * `deployments` oldest first. `previousFailed`: whether the last forward deployment before
 * them failed (so the first one may be a fix).
 */
export function outcomes(deployments: readonly Deployment[], reverts: readonly Revert[], previousFailed = false): Outcome[] {
  const n = deployments.length;
  // When the next successful deployment after each one finished: a rollback after that is not about this one.
  const nextSuccess: number[] = new Array<number>(n);
  let next = Infinity;
  for (let i = n - 1; i >= 0; i--) {
    nextSuccess[i] = next;
    if (deployments[i]!.succeeded) next = deployments[i]!.finishedAt;
  }
  // Indexed once: a long history has thousands of deployments and reverts.
  const revertedRuns = new Set(reverts.flatMap((r) => (r.runId !== undefined ? [r.runId] : [])));
  const revertTimes = new Map<string, number[]>();
  for (const r of reverts) for (const rel of r.releases) revertTimes.set(rel, [...(revertTimes.get(rel) ?? []), r.at]);
  const base = deployments.map((d, i): Outcome['why'] => {
    if (!d.succeeded) return 'failed';
    const reverted = revertedRuns.has(d.runId) || (revertTimes.get(d.releaseId) ?? []).some((at) => at >= d.finishedAt && at < nextSuccess[i]!);
    return reverted ? 'rolled back' : undefined;
  });
  const out: Outcome[] = [];
  let lastForwardFailed = previousFailed;
  let lastForward: number | undefined;
  for (let i = 0; i < n; i++) {
    const d = deployments[i]!;
    const kind: DeploymentKind = d.rollback ? 'rollback' : d.carriedFail || lastForwardFailed ? 'fix' : 'change';
    out.push({ ...d, kind, failed: base[i] !== undefined, ...(base[i] ? { why: base[i] } : {}) });
    if (!d.rollback) {
      // A remediation queued by a failure marks the deployment before it as failed too.
      if (d.carriedFail && lastForward !== undefined && !out[lastForward]!.failed) {
        out[lastForward] = { ...out[lastForward]!, failed: true, why: 'followed by a fix' };
      }
      lastForward = i;
      lastForwardFailed = base[i] !== undefined;
    }
  }
  return out;
}
