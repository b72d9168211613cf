/** `slipway secret set|list|delete`: secrets tasks refer to as `${secret:NAME}` (admin). */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/index.js';
import { act, serverCommand } from '../context.js';
import { ago, table } from '../table.js';

interface SecretInfo {
  name: string;
  source: 'env' | 'store';
  createdAt: number | null;
  updatedAt: number | null;
  problem: string | null;
  created?: boolean;
}

/** The value from stdin, never from the command line (where `ps` and shell history would keep it). */
async function readValue(name: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`value of ${name} (end with Ctrl-D):\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (value === '') throw new SlipwayError('INVALID_INPUT', `no value on stdin for secret '${name}'; pipe it in, e.g. printf %s "$TOKEN" | slipway secret set ${name}`, { field: 'value' });
  return value;
}

export function registerSecret(program: Command): void {
  const secret = program.command('secret').description('manage secrets tasks use as ${secret:NAME} (needs an admin token)');
  serverCommand(secret, 'set', 'set a secret; the value is read from stdin (one trailing newline dropped)')
    .argument('<name>', 'upper-case letters, digits and _, e.g. API_TOKEN')
    .action(
      act(async (ctx, [name]) => {
        const value = await readValue(name!);
        const s = await ctx.client.request<SecretInfo>('PUT', `/api/v1/secrets/${encodeURIComponent(name!)}`, { body: { value } });
        if (ctx.json) return ctx.emit(s);
        ctx.print(`${s.created ? 'set' : 'replaced'} secret ${s.name}; use it as \${secret:${s.name}}`);
      }),
    );
  serverCommand(secret, 'list', 'list secrets: names, sources and dates (never values)').action(
    act(async (ctx) => {
      const r = await ctx.client.request<{ secrets: SecretInfo[] }>('GET', '/api/v1/secrets');
      if (ctx.json) return ctx.emit(r);
      ctx.print(table(['NAME', 'SOURCE', 'UPDATED', 'PROBLEM'], r.secrets.map((s) => [s.name, s.source, s.updatedAt === null ? '-' : ago(s.updatedAt), s.problem ?? ''])));
    }),
  );
  serverCommand(secret, 'delete', 'delete a stored secret')
    .argument('<name>', 'secret name')
    .action(
      act(async (ctx, [name]) => {
        await ctx.client.request('DELETE', `/api/v1/secrets/${encodeURIComponent(name!)}`);
        if (ctx.json) ctx.emit({ name, deleted: true });
        else ctx.print(`deleted secret ${name}`);
      }),
    );
}
