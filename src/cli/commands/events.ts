/** `slipway events [--follow]`: the event log, or its live tail. */
import type { Command } from 'commander';
import type { SlipwayEvent } from '../../core/index.js';
import type { EventsPage } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { followEvents } from '../sse.js';

interface Opts {
  project?: string;
  run?: string;
  after?: string;
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
    .option('--follow', 'keep streaming new events')
    .action(
      act<Opts>(async (ctx, _a, o) => {
        const print = (seq: number, e: SlipwayEvent) => (ctx.json ? ctx.emit({ seq, event: e }) : ctx.print(human(seq, e)));
        if (o.follow) {
          const controller = new AbortController();
          process.once('SIGINT', () => controller.abort());
          const after = o.after !== undefined ? Number(o.after) : undefined;
          for await (const { seq, event } of followEvents(ctx.client, { project: o.project, run: o.run }, controller.signal, after)) print(seq, event);
          return 0;
        }
        const page = await ctx.client.request<EventsPage>('GET', '/api/v1/events', { query: { project: o.project, run: o.run, after: o.after, limit: o.limit } });
        for (const { seq, event } of page.events) print(seq, event);
        return 0;
      }),
    );
}
