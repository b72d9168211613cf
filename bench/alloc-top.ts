/**
 * `node dist/bench/bench/alloc-top.js FILE.heapprofile [N]`: the N (default 40) functions that
 * allocated the most in a sampling heap profile (bench/alloc-sample.ts, or DevTools), by their own
 * allocations and with what they called, in MB.
 */
import { readFileSync } from 'node:fs';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const [file, n = '40'] = process.argv.slice(2);
if (!file) throw new Error('usage: alloc-top.js FILE.heapprofile [N]');
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node };
const own = new Map<string, number>();
const withCallees = new Map<string, number>();
const name = (node: Node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;

function walk(node: Node, onStack: Set<string>): number {
  const k = name(node);
  own.set(k, (own.get(k) ?? 0) + node.selfSize);
  const inner = new Set(onStack).add(k);
  let sum = node.selfSize;
  for (const child of node.children) sum += walk(child, inner);
  // A recursive function counts once.
  if (!onStack.has(k)) withCallees.set(k, (withCallees.get(k) ?? 0) + sum);
  return sum;
}
const total = walk(head, new Set());
const mb = (b: number) => (b / 1_048_576).toFixed(1).padStart(8);
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .map(([k, v]) => `${mb(v)} ${k}`)
    .join('\n');
process.stdout.write(`${mb(total)} MB sampled in all\n\nown allocations:\n${top(own)}\n\nwith what they called:\n${top(withCallees)}\n`);
