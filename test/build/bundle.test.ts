/**
 * The built `slipway` command (`npm run build` → scripts/bundle.js → dist/bundle): what a
 * command loads before it runs, read from esbuild's metafile of the real build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Meta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }>;
}

const META = 'dist/bundle/meta.json';
const ENTRY = 'dist/bundle/slipway.js';

function meta(): Meta {
  if (!existsSync(META)) throw new Error(`${META} is missing: run \`npm run build\` first (npm test does)`);
  return JSON.parse(readFileSync(META, 'utf8')) as Meta;
}

/** The outputs a module loads before its own code runs: static imports, transitively. */
function loadedWith(m: Meta, entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    for (const i of m.outputs[file]?.imports ?? []) {
      if (i.kind === 'import-statement' && !i.external && !seen.has(i.path)) {
        seen.add(i.path);
        todo.push(i.path);
      }
    }
  }
  return seen;
}

const inputsOf = (m: Meta, outputs: Iterable<string>): Set<string> => new Set([...outputs].flatMap((o) => Object.keys(m.outputs[o]?.inputs ?? {})));

describe('the bundled command', () => {
  it('starts a command without loading the server, which loads only when `slipway server` runs', () => {
    const m = meta();
    const atStart = inputsOf(m, loadedWith(m, ENTRY));
    expect(atStart).toContain('dist/cli/main.js');
    expect(atStart).not.toContain('dist/api/server.js');
    expect(atStart).not.toContain('dist/store/postgres/postgres-store.js');
    const everything = inputsOf(m, Object.keys(m.outputs));
    expect(everything).toContain('dist/api/server.js');
    expect(everything).toContain('dist/store/postgres/postgres-store.js');
  });

  it('`slipway server` on SQLite does not load the PostgreSQL driver (only a PostgreSQL store or migrate target does)', () => {
    const m = meta();
    // What `slipway server` loads: its entry's chunks, then those of the modules src/cli/server.ts imports when it runs.
    const chunksOf = (input: string) => Object.keys(m.outputs).filter((o) => o.endsWith('.js') && m.outputs[o]!.inputs[input] !== undefined);
    const server = new Set([ENTRY, ...chunksOf('dist/api/index.js'), ...chunksOf('dist/store/index.js')].flatMap((o) => [...loadedWith(m, o)]));
    const loaded = inputsOf(m, server);
    expect(loaded).toContain('dist/api/server.js');
    expect([...loaded].filter((f) => f.includes('node_modules/pg/'))).toEqual([]);
    expect(inputsOf(m, Object.keys(m.outputs))).toContain('node_modules/pg/lib/client.js');
  });

  it('leaves the native SQLite module and the packages that find files beside themselves in node_modules', () => {
    const m = meta();
    const bundled = [...inputsOf(m, Object.keys(m.outputs))].filter((f) => f.includes('node_modules/'));
    for (const pkg of ['better-sqlite3', 'pino', 'autocannon', '@fastify/swagger-ui', '@fastify/static']) {
      expect(bundled.filter((f) => f.includes(`node_modules/${pkg}/`)), pkg).toEqual([]);
    }
    expect(bundled.some((f) => f.includes('node_modules/kysely/'))).toBe(true);
  });

  it('a rebuild leaves only its own files: chunks of an earlier build go', () => {
    const to = mkdtempSync(join('dist', 'bundle-rebuild-'));
    try {
      writeFileSync(join(to, 'chunk-EARLIER0.js'), 'export {};\n');
      writeFileSync(join(to, 'chunk-EARLIER0.js.map'), '{}');
      execFileSync(process.execPath, ['scripts/bundle.js', 'dist', to], { stdio: 'pipe' });
      const outputs = new Set(Object.keys((JSON.parse(readFileSync(join(to, 'meta.json'), 'utf8')) as Meta).outputs).map((o) => o.slice(o.lastIndexOf('/') + 1)));
      const files = readdirSync(to).filter((f) => f !== 'meta.json');
      expect(files).not.toContain('chunk-EARLIER0.js');
      expect(files.filter((f) => !outputs.has(f))).toEqual([]);
    } finally {
      rmSync(to, { recursive: true, force: true });
    }
  });

  it('refuses an out dir that holds the compiled code (it is emptied first)', () => {
    const to = mkdtempSync(join('dist', 'bundle-guard-'));
    try {
      const compiled = join(to, 'compiled');
      mkdirSync(join(compiled, 'cli'), { recursive: true });
      writeFileSync(join(compiled, 'cli', 'main.js'), 'export {};\n');
      let err = '';
      try {
        execFileSync(process.execPath, ['scripts/bundle.js', compiled, to], { stdio: 'pipe' });
      } catch (e) {
        err = String((e as { stderr?: Buffer }).stderr ?? e);
      }
      expect(err).toContain('holds the compiled dir');
      expect(existsSync(join(compiled, 'cli', 'main.js'))).toBe(true);
    } finally {
      rmSync(to, { recursive: true, force: true });
    }
  });

  it('runs from bin/slipway.js', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(execFileSync(process.execPath, ['bin/slipway.js', '--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });
});
