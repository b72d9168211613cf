/** The lines `status` prints under the matrix for a stage's schedule and promotion hold. */
import type { StatusMatrix } from '../api-types.js';
import { utc } from './resume-auto.js';

export function automationLines(s: StatusMatrix['stages'][number], project: string): string[] {
  const out: string[] = [];
  const sc = s.schedule;
  if (sc) {
    const next = sc.next ? `next ${sc.next.utc.slice(0, 16).replace('T', ' ')} UTC (${sc.next.local})` : 'not armed';
    out.push(`${s.name}: scheduled '${sc.cron}' ${sc.timeZone}, ${next}`);
    const l = sc.last;
    if (l) out.push(`${s.name}: last fire ${utc(l.dueAt)}: ${l.fired ? `release ${l.releaseId ?? '?'} entered` : 'skipped'}${l.reason ? ` (${l.reason})` : ''}`);
  }
  const h = s.hold;
  if (h) out.push(`${s.name}: automatic promotion held since ${utc(h.at)} by ${h.by}, who chose release ${h.releaseId} over ${h.automationWould}; resume with: slipway resume-auto ${s.name} --project ${project}`);
  return out;
}
