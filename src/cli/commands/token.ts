/** `slipway token create|list|revoke`: API tokens (admin). */
import type { Command } from 'commander';
import type { ApiToken } from '../api-types.js';
import { act, serverCommand } from '../context.js';
import { collect } from '../pairs.js';
import { ago, table } from '../table.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API tokens (needs an admin token)');
  serverCommand(token, 'create', 'create a token; it is shown once')
    .argument('<name>', 'who or what uses it')
    .option('--scope <scope>', 'read | trigger | approve:<stage> | approve:* | execute | execute:<kind> | admin (repeatable)', collect, [])
    .option('--group <group>', 'a group approval policies count this token in, e.g. qa or release-managers (repeatable)', collect, [])
    .action(
      act<{ scope: string[]; group: string[] }>(async (ctx, [name], o) => {
        const body = { name, scopes: o.scope.length ? o.scope : ['read'], ...(o.group.length ? { groups: o.group } : {}) };
        const t = await ctx.client.request<ApiToken>('POST', '/api/v1/tokens', { body });
        if (ctx.json) return ctx.emit(t);
        const groups = t.groups?.length ? `; groups: ${t.groups.join(', ')}` : '';
        ctx.print(`token ${t.id} (${t.name}: ${t.scopes.join(', ')}${groups}) — shown once, keep it safe:`);
        ctx.print(t.token ?? '');
      }),
    );
  serverCommand(token, 'list', 'list tokens (never their values)').action(
    act(async (ctx) => {
      const r = await ctx.client.request<{ tokens: ApiToken[] }>('GET', '/api/v1/tokens');
      if (ctx.json) return ctx.emit(r);
      ctx.print(table(['ID', 'NAME', 'SCOPES', 'GROUPS', 'CREATED'], r.tokens.map((t) => [t.id, t.name, t.scopes.join(','), t.groups?.join(',') || '-', ago(t.createdAt)])));
    }),
  );
  serverCommand(token, 'revoke', 'revoke a token')
    .argument('<id>', 'token id')
    .action(
      act(async (ctx, [id]) => {
        await ctx.client.request('DELETE', `/api/v1/tokens/${encodeURIComponent(id!)}`);
        if (ctx.json) ctx.emit({ id, revoked: true });
        else ctx.print(`revoked ${id}`);
      }),
    );
}
