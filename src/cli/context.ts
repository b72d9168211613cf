/** What every server command needs: the client (from global flags) and how to print. */
import type { Command } from 'commander';
import { Client, loadConfig } from './client.js';

export interface CommandContext {
  client: Client;
  json: boolean;
  /** Human output (stdout). */
  print(line: string): void;
  /** JSON output: one document on stdout. */
  emit(value: unknown): void;
}

export function contextOf(cmd: Command): CommandContext {
  const opts = cmd.optsWithGlobals<{ server?: string; json?: boolean }>();
  return {
    client: new Client(loadConfig(opts.server)),
    json: Boolean(opts.json),
    print: (line) => process.stdout.write(`${line}\n`),
    emit: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
  };
}

/** Adds `--json` and wires the action with its context; the action returns the exit code. */
export function serverCommand(parent: Command, name: string, describe: string): Command {
  return parent.command(name).description(describe).option('--json', 'print JSON for scripts');
}

export function act<O>(fn: (ctx: CommandContext, args: string[], opts: O) => Promise<number | void>) {
  return async (...all: unknown[]): Promise<void> => {
    const cmd = all[all.length - 1] as Command;
    const code = await fn(contextOf(cmd), all.slice(0, -2) as string[], all[all.length - 2] as O);
    if (typeof code === 'number') process.exitCode = code;
  };
}
