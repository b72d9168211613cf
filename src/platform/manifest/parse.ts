/**
 * Reading `slipway-app.yaml`: YAML with positions kept, then the zod schema. A bad manifest
 * fails with every problem listed, each naming file:line:column and the field.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { MAX_YAML_DEPTH, yamlTooDeepAt } from '../../spec/index.js';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import { MANIFEST_FILE, ManifestSchema, type AppManifest } from './schema.js';

type Path = readonly PropertyKey[];

export interface ManifestProblem {
  line: number;
  column: number;
  field: string;
  message: string;
}

export function parseManifest(text: string, file: string): AppManifest {
  const lines = new LineCounter();
  const deep = yamlTooDeepAt(text);
  if (deep) throw manifestError(file, [{ line: deep.line, column: deep.column, field: '', message: `invalid YAML: it nests collections more than ${MAX_YAML_DEPTH} levels deep` }]);
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const syntax = doc.errors.map((e) => ({ ...at(e.pos[0]), field: '', message: `invalid YAML: ${e.message}` }));
  if (syntax.length > 0) throw manifestError(file, syntax);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) {
    throw manifestError(file, [{ line: 1, column: 1, field: '', message: 'the manifest is empty; it needs at least `start: <command>`' }]);
  }
  const parsed = ManifestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw manifestError(file, parsed.error.issues.flatMap((i) => problemsOf(i, doc, at)));
}

export async function loadManifest(dir: string): Promise<AppManifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SlipwayError(
      'INVALID_ARTIFACT',
      `cannot read ${file}: ${(err as Error).message}; a deployable is a directory (or .tgz) with ${MANIFEST_FILE} at its top`,
      { file },
      { cause: err },
    );
  }
  return parseManifest(text, file);
}

function problemsOf(issue: z.core.$ZodIssue, doc: Document, at: (o: number) => { line: number; column: number }): ManifestProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      ...at(offsetOf(doc, [...issue.path, key], true)),
      field: fieldName([...issue.path, key]),
      message: `unknown field; known fields: ${knownFields(issue.path).join(', ')}`,
    }));
  }
  // A bad map key (an env name) is reported at the key, with the key schema's own message.
  const badKey = issue.code === 'invalid_key';
  const message = badKey ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return [{ ...at(offsetOf(doc, issue.path, badKey)), field: fieldName(issue.path), message }];
}

function knownFields(path: Path): string[] {
  const shape = path[0] === 'health' ? ManifestSchema.shape.health.unwrap().shape : ManifestSchema.shape;
  return Object.keys(shape);
}

/** Where `path` was written (its key when `onKey`); a missing field points at its nearest parent. */
function offsetOf(doc: Document, path: Path, onKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const [i, seg] of path.entries()) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) break;
    const key = pair.key as { range?: [number, number, number] };
    const value = pair.value as { range?: [number, number, number] } | null;
    if ((onKey && i === path.length - 1) || !value?.range) {
      offset = key.range?.[0] ?? offset;
      break;
    }
    offset = value.range[0];
    node = pair.value;
  }
  return offset;
}

function fieldName(path: Path): string {
  return path.map(String).join('.');
}

function manifestError(file: string, problems: ManifestProblem[]): SlipwayError {
  const lines = problems.map((p) => `${file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
  const first = problems[0]!;
  return new SlipwayError('INVALID_ARTIFACT', lines.join('\n'), {
    file,
    line: first.line,
    column: first.column,
    field: first.field,
    problems,
  });
}
