/**
 * A pipeline file parsed as YAML, kept with its syntax tree so that any field path can be
 * turned back into the line and column the user wrote it at.
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Path, Problem } from './problems.js';
import { MAX_YAML_DEPTH, yamlTooDeepAt } from './yaml-depth.js';

export interface Source {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  /** The plain value of the document (`undefined` when it did not parse). */
  value: unknown;
}

export interface Position {
  line: number;
  column: number;
}

/** A parsed file: `source.value` is its content when `problems` is empty. */
export interface ParsedSource {
  source: Source;
  problems: Problem[];
}

/** Parse `text`; YAML syntax errors come back as problems with their own positions. */
export function parseSource(text: string, file: string): ParsedSource {
  const lines = new LineCounter();
  const deep = yamlTooDeepAt(text);
  if (deep) {
    // Not parsed at all: the parser's recursion could take the process down (yaml-depth.ts).
    const source: Source = { file, text, doc: parseDocument('', { lineCounter: lines }), lines, value: undefined };
    const message = `invalid YAML: it nests collections more than ${MAX_YAML_DEPTH} levels deep (${deep.depth} here, counting each indentation column); a pipeline needs far fewer`;
    return { source, problems: [{ code: 'SPEC_YAML', path: [], message, at: { line: deep.line, column: deep.column } }] };
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source: Source = { file, text, doc, lines, value: undefined };
  const problems = syntaxProblems(source);
  if (problems.length > 0) return { source, problems };
  try {
    source.value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { source, problems: [{ code: 'SPEC_YAML', path: [], message: `invalid YAML: ${message}` }] };
  }
  return { source, problems: [] };
}

function syntaxProblems(source: Source): Problem[] {
  // yaml often reports one mistake several times from the same spot; say it once.
  const byOffset = new Map<number, { end: number; codes: string[]; messages: string[] }>();
  for (const err of source.doc.errors) {
    const [start, end] = err.pos;
    const seen = byOffset.get(start) ?? { end, codes: [], messages: [] };
    seen.end = Math.max(seen.end, end);
    seen.codes.push(err.code);
    seen.messages.push(err.message);
    byOffset.set(start, seen);
  }
  return [...byOffset].map(([start, { end, codes, messages }]): Problem => {
    const at = toPosition(source, start);
    const endLine = toPosition(source, Math.max(start, end - 1)).line;
    const span = endLine > at.line ? ` (lines ${at.line}-${endLine})` : '';
    const hint = codes.some((c) => /INDENT|IMPLICIT_KEY/.test(c)) ? '; check the indentation' : '';
    const message = `invalid YAML${span}: ${messages.join('; ')}${hint}`;
    return { code: 'SPEC_YAML', path: pathAtOffset(source.doc, start), message, at };
  });
}

export function toPosition(source: Source, offset: number): Position {
  const { line, col } = source.lines.linePos(offset);
  return { line, column: col };
}

/** Where `path` was written; a path that does not exist points at its nearest existing parent. */
export function locate(source: Source, path: Path, onKey = false): Position {
  let node: unknown = source.doc.contents;
  let at: Node | null = isNode(node) ? node : null;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      if ((onKey && i === path.length - 1) || !isNode(pair.value)) {
        if (isNode(pair.key)) at = pair.key;
        break;
      }
      node = at = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!isNode(item)) break;
      node = at = item;
    } else {
      break;
    }
  }
  return toPosition(source, at?.range?.[0] ?? 0);
}

/**
 * The field path of the innermost value that covers `offset`, for errors that only carry an
 * offset. An offset on a key names the field that key belongs to, not the (garbled) key.
 */
function pathAtOffset(doc: Document, offset: number): Path {
  const path: (string | number)[] = [];
  const covers = (n: unknown): boolean => isNode(n) && !!n.range && n.range[0] <= offset && offset <= n.range[2];
  let node: unknown = doc.contents;
  while (isCollection(node)) {
    let next: unknown;
    for (const [i, item] of node.items.entries()) {
      if (isPair(item)) {
        if (covers(item.key)) return path;
        if (covers(item.value)) {
          path.push(keyText(item.key));
          next = item.value;
        }
      } else if (covers(item)) {
        path.push(i);
        next = item;
      }
      if (next !== undefined) break;
    }
    if (next === undefined) break;
    node = next;
  }
  return path;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function isNode(v: unknown): v is Node {
  return isScalar(v) || isCollection(v) || isAlias(v);
}
