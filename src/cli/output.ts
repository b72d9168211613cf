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
