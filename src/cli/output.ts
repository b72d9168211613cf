/** How the CLI speaks: one line per error saying what went wrong and what to do; colour only on a terminal. */
import { isSlipwayError } from '../core/index.js';

const tty = process.stderr.isTTY && !process.env['NO_COLOR'];
const paint = (code: number) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
export const color = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1) };

export function reportError(e: unknown): void {
  if (isSlipwayError(e)) process.stderr.write(`slipway: ${e.message}\n`);
  else if (e instanceof Error) process.stderr.write(`slipway: ${e.message}\n`);
  else process.stderr.write(`slipway: ${String(e)}\n`);
}

export function resultColor(result: string | undefined): (s: string) => string {
  if (result === 'pass' || result === 'succeeded') return color.green;
  if (result === 'warning') return color.yellow;
  if (result === 'fail' || result === 'failed' || result === 'aborted') return color.red;
  return (s) => s;
}

/**
 * A task's line with its message: the first line of the message only, unless the task
 * failed; then every line (a failed shell task's last output and its log), each following
 * line indented under the first.
 */
export function withMessage(head: string, result: string, message: unknown): string {
  if (message === undefined || message === null || message === '') return head;
  const lines = String(message).split('\n');
  if (result !== 'fail') return `${head}  ${lines[0]}`;
  const indent = ' '.repeat(head.replace(/\u001b\[\d+m/g, '').length + 2);
  return [`${head}  ${lines[0]}`, ...lines.slice(1).map((l) => `${indent}${l}`)].join('\n');
}
