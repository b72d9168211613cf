/** `slipway events [--follow] [--since WHEN]`: the event log, or its recent backlog and then its live tail. */
import type { Command } from 'commander';
import type { SlipwayEvent } from '../../core/index.js';
import type { EventsPage } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { DEFAULT_BACKLOG, startOf } from '../event-backlog.js';
import { followEvents } from '../sse.js';

interface Opts {
  project?: string;
  run?: string;
  after?: string;
  since?: string;
  limit: string;
  follow?: boolean;
}

const human = (seq: number, e: SlipwayEvent) => `${String(seq).padStart(6)}  ${e.time}  ${e.type.replace('sh.slipway.', '').padEnd(32)} ${e.subject ?? ''}`;

export function registerEvents(program: Command): void {
  serverCommand(program, 'events', 'the event log (CloudEvents); --follow streams new ones')
    .option('--project <name>', 'only this project')
    .option('--run <id>', 'only this run')
    .option('--after <seq>', 'events after this log position')
    .option('--limit <n>', 'at most this many (without --follow)', '100')
    .option('--since <when>', `where to start: a duration (10m, 2h), a log position (events from that seq on) or 'now'; with --follow the default is the last ${DEFAULT_BACKLOG} events`)
    .option('--follow', 'print the recent events, then keep streaming new ones')
    .action(
      act<Opts>(async (ctx, _a, o) => {
        const print = (seq: number, e: SlipwayEvent) => (ctx.json ? ctx.emit({ seq, event: e }) : ctx.print(human(seq, e)));
        const q = { project: o.project, run: o.run };
        const start = async () => (o.after !== undefined ? Number(o.after) : startOf(ctx.client, q, o.since, Date.now()));
        if (o.follow) {
          const controller = new AbortController();
          process.once('SIGINT', () => controller.abort());
          for await (const { seq, event } of followEvents(ctx.client, q, controller.signal, await start())) print(seq, event);
          return 0;
        }
        const after = o.after ?? (o.since !== undefined ? await start() : undefined);
        const page = await ctx.client.request<EventsPage>('GET', '/api/v1/events', { query: { ...q, after, limit: o.limit } });
        for (const { seq, event } of page.events) print(seq, event);
        return 0;
      }),
    );
}
