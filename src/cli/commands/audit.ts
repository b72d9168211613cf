/** `slipway audit list|verify|export`: the tamper-evident audit log (scope audit, or admin). */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import { color } from '../output.js';
import { table } from '../table.js';
import { whenOf } from './when.js';

interface Entry {
  seq: number;
  at: number;
  time: string;
  actor: string;
  action: string;
  project: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}
interface Page {
  entries: Entry[];
  nextCursor: string | null;
}
interface Verified {
  ok: boolean;
  rows: number;
  headSeq: number;
  headHash: string;
  broken: { position: number; seq: number; problem: string; message: string; differences: { field: string; stored: unknown; sealed: unknown }[] } | null;
}

const EXPORT_PAGE = 1000;

function detailText(d: Record<string, unknown> | null): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log: who did what, and whether anyone changed it since (needs scope audit or admin)');

  serverCommand(audit, 'list', 'list audit rows, newest first')
    .option('--actor <actor>', 'only this actor, e.g. token:ci')
    .option('--action <action>', 'only this action, e.g. run.abort or token.create')
    .option('--project <project>', 'only this project')
    .option('--since <when>', 'from this time: a duration back (7d, 12h), an RFC 3339 time or UTC ms')
    .option('--until <when>', 'before this time')
    .option('--search <text>', 'text anywhere in the row (case-insensitive)')
    .option('--limit <n>', 'at most this many rows', '50')
    .action(
      act<{ actor?: string; action?: string; project?: string; since?: string; until?: string; search?: string; limit: string }>(async (ctx, _args, o) => {
        const now = Date.now();
        const query = {
          actor: o.actor,
          action: o.action,
          project: o.project,
          since: o.since !== undefined ? String(await whenOf(o.since, now, '--since')) : undefined,
          until: o.until !== undefined ? String(await whenOf(o.until, now, '--until')) : undefined,
          q: o.search,
          limit: o.limit,
        };
        const page = await ctx.client.request<Page>('GET', '/api/v1/audit', { query });
        if (ctx.json) return ctx.emit(page);
        if (page.entries.length === 0) return ctx.print('no audit rows match');
        ctx.print(table(['SEQ', 'TIME', 'ACTOR', 'ACTION', 'PROJECT', 'TARGET', 'DETAILS'], page.entries.map((e) => [String(e.seq), e.time, e.actor, e.action, e.project ?? '-', e.target ?? '-', detailText(e.details)])));
      }),
    );

  serverCommand(audit, 'verify', 'check the whole hash chain; exit 1 and name the first broken row when it is broken').action(
    act(async (ctx) => {
      const r = await ctx.client.request<Verified>('GET', '/api/v1/audit/verify');
      if (ctx.json) ctx.emit(r);
      else if (r.ok) ctx.print(`${color.green('ok')}: ${r.rows} rows, chain intact; head seq ${r.headSeq}, hash ${r.headHash}`);
      else {
        const b = r.broken!;
        ctx.print(`${color.red('broken')} at row ${b.position} (seq ${b.seq}): ${b.message}`);
        for (const d of b.differences) ctx.print(`  ${d.field}: now ${JSON.stringify(d.stored) ?? 'absent'}, sealed ${JSON.stringify(d.sealed) ?? 'absent'}`);
        ctx.print(`the ${r.rows - 1} rows before it verify; the last good hash is ${r.headHash}`);
      }
      return r.ok ? 0 : 1;
    }),
  );

  audit
    .command('export')
    .description('write audit rows as JSON lines, oldest first (for a SIEM)')
    .requiredOption('--since <when>', 'from this time: a duration back (30d), an RFC 3339 time or UTC ms')
    .option('--until <when>', 'before this time')
    .action(
      act<{ since: string; until?: string }>(async (ctx, _args, o) => {
        const now = Date.now();
        const base = { since: String(await whenOf(o.since, now, '--since')), until: o.until !== undefined ? String(await whenOf(o.until, now, '--until')) : undefined, order: 'asc', limit: EXPORT_PAGE };
        let cursor: string | null = null;
        do {
          const page: Page = await ctx.client.request<Page>('GET', '/api/v1/audit', { query: { ...base, ...(cursor !== null ? { cursor } : {}) } });
          for (const e of page.entries) ctx.emit(e);
          cursor = page.nextCursor;
        } while (cursor !== null);
      }),
    );
}
