/**
 * What an executor reports (its message and output: a shell task's output tail, a webhook's
 * answer, an outside executor's finish) may repeat a secret value it was given. Every such
 * input passes here on its way into the engine, whoever sent it, so no value reaches the
 * event log. Only free text is touched: ids, results and times stay as sent.
 */
import type { Input } from '../core/index.js';
import type { SecretResolver } from './executor.js';

export function redactReport(input: Input, secrets: SecretResolver | undefined): Input {
  if (!secrets || (input.type !== 'task.finished' && input.type !== 'task.suspended')) return input;
  const message = input.message === undefined ? undefined : secrets.redact(input.message);
  const output = input.output === undefined ? undefined : secrets.redact(input.output);
  if (message === input.message && output === input.output) return input;
  return { ...input, ...(message !== undefined ? { message } : {}), ...(output !== undefined ? { output } : {}) };
}
