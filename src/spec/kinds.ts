/**
 * Task kinds at load time. A kind must be one an executor in this process serves, or one
 * left to outside executors (the pipeline's `spec.outsideKinds`, the server's
 * `--outside-kinds`; in a Keptn shipyard every kind, as in Keptn). A kind served here
 * checks its task's properties, so a bad property fails the load, not the run.
 */
import { formatPath, list, problem } from './problems.js';
import type { Path, Problem } from './problems.js';
import type { Note } from './keptn-triggers.js';

export type PropertyCheck = (properties: Readonly<Record<string, unknown>>) => readonly { field: string; message: string }[];

export interface KindCatalog {
  /** Kinds executors in this process serve, each with its executor's property check. */
  served: ReadonlyMap<string, PropertyCheck>;
  /**
   * Kinds served by Slipway's own built-in executors (not by executors an embedder added): a
   * Keptn task of such a name that the project does not map to the built-in goes to outside
   * executors as `keptn.<name>` instead (see keptn-project.ts).
   */
  builtins?: readonly string[];
  /** Kinds the server leaves to outside executors (`--outside-kinds`). */
  outside?: readonly string[];
  /**
   * `warn`: an unknown kind loads with a warning instead of failing (pipelines saved before
   * kinds were checked must not vanish when the server restarts). Default `error`.
   */
  unknown?: 'error' | 'warn';
}

/** A task as the file places it. */
export interface PlacedKind {
  name: string;
  kind: string;
  properties: Readonly<Record<string, unknown>>;
  path: Path;
  /** Where its properties were written, when not at `path.properties` (a stage's `gates:`). */
  propertiesPath?: Path;
}

/** Outside kinds a pipeline declares: a list (with its path) or, for Keptn, any kind. */
export type DeclaredOutside = { kinds: readonly string[]; path: Path } | 'any';

export function checkKinds(tasks: readonly PlacedKind[], catalog: KindCatalog, declared: DeclaredOutside): { problems: Problem[]; notes: Note[] } {
  const problems: Problem[] = [];
  const notes: Note[] = [];
  const outside = new Set([...(catalog.outside ?? []), ...(declared === 'any' ? [] : declared.kinds)]);
  const builtin = [...catalog.served.keys()].sort();
  for (const t of tasks) {
    const check = catalog.served.get(t.kind);
    if (check) {
      const at = t.propertiesPath ?? [...t.path, 'properties'];
      for (const pr of check(t.properties)) {
        const path = [...at, ...fieldPath(pr.field)];
        problems.push({ ...problem('SPEC_FIELD', path, `${t.kind} task '${t.name}': ${pr.message}`), field: `${formatPath(at)}.${pr.field}` });
      }
    } else if (declared !== 'any' && !outside.has(t.kind)) {
      const message = unknownKind(t, builtin);
      if (catalog.unknown === 'warn') notes.push({ path: [...t.path, 'kind'], message });
      else problems.push(problem('SPEC_REFERENCE', [...t.path, 'kind'], message));
    }
  }
  if (declared !== 'any') {
    declared.kinds.forEach((kind, i) => {
      if (catalog.served.has(kind)) {
        notes.push({
          path: [...declared.path, i],
          message: `'${kind}' is a kind Slipway runs itself here, and spec.outsideKinds does not change that; to leave it to an outside executor, start the server with --outside-kinds ${kind}`,
        });
      }
    });
  }
  return { problems, notes };
}

function unknownKind(t: PlacedKind, builtin: readonly string[]): string {
  const near = nearest(t.kind, builtin);
  const guess = near === undefined ? '; built-in' : `; did you mean '${near}'? Built-in`;
  return (
    `task '${t.name}' has kind '${t.kind}', which no executor here serves${guess} kinds: ${list(builtin)}; ` +
    `if an outside executor serves '${t.kind}', list it in spec.outsideKinds (or start the server with --outside-kinds ${t.kind})`
  );
}

/** The built-in kind a typo most likely meant: the closest within a third of its length. */
export function nearest(kind: string, kinds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(kind.length / 3)) + 1;
  for (const k of kinds) {
    const d = levenshtein(kind, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits (insert, delete, replace, swap two neighbours) between two short strings. */
export function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** `steps[0].pause` → ['steps', 0, 'pause'], to find where a property problem was written. */
function fieldPath(field: string): (string | number)[] {
  return field.split('.').flatMap((part) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [part];
    const indexes = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...indexes];
  });
}
