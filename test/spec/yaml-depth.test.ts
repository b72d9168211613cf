/**
 * YAML nested deeper than the parser's recursion can take is refused before it is parsed
 * (src/spec/yaml-depth.ts): the route fuzz on PostgreSQL sent `a: [[[…]]]` 1000+ levels
 * deep, the yaml library overflowed the stack, and once in a few thousand cases V8 was
 * compiling a regular expression at that moment and ended the worker process ("FATAL ERROR:
 * RegExpCompiler Allocation failed"), which no catch stops. Before the fix such a file was
 * parsed and answered "Maximum call stack size exceeded".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_YAML_DEPTH, loadPipeline, yamlTooDeepAt } from '../../src/spec/index.js';
import { parseManifest } from '../../src/platform/manifest/index.js';
import { errorOf, slipway } from './helpers.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe('YAML nesting depth', () => {
  it('every real YAML file (the conformance copy, the examples) is within the limit', () => {
    // test/conformance is the verbatim copy of shared/conformance kept in the repository.
    const files = [...yamlFiles(join(import.meta.dirname, '../conformance')), ...yamlFiles(join(import.meta.dirname, '../../examples'))];
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(yamlTooDeepAt(readFileSync(file, 'utf8')), file).toBeUndefined();
  });

  it('flow collections 1,000 to 100,000 deep are refused naming the line, the column and the limit, without a stack overflow', () => {
    for (const d of [1000, 100_000]) {
      const err = errorOf(() => loadPipeline(`apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: x}\nspec: ${'['.repeat(d)}${']'.repeat(d)}\n`, 'deep.yaml'));
      expect(err.code).toBe('SPEC_YAML');
      expect(err.message).toContain(`deep.yaml:4:${MAX_YAML_DEPTH + 6}`);
      expect(err.message).toContain(`more than ${MAX_YAML_DEPTH} levels deep`);
      expect(err.message).not.toContain('call stack');
    }
  });

  it('block nesting counts indentation and indicators: `- - - …` and ever deeper maps are refused', () => {
    const dashes = `${'- '.repeat(400)}x\n`;
    expect(yamlTooDeepAt(dashes)).toMatchObject({ line: 1 });
    const maps = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(yamlTooDeepAt(`a: 1\n${maps} v\n`)?.line).toBeGreaterThan(100);
    expect(() => parseManifest(maps, 'slipway-app.yaml')).toThrow(/slipway-app\.yaml.*more than 256 levels deep/s);
  });

  it('brackets and indicators inside quoted, plain and block scalars do not count', () => {
    const many = '['.repeat(2000);
    const text = slipway(
      '    - name: dev',
      '      tasks:',
      `        - {name: a, kind: shell, properties: {run: "echo '${many}'"}}`,
      '        - name: b',
      '          kind: shell',
      '          properties:',
      '            run: |',
      `              echo ${many} - - - : : :`,
      `              ${' '.repeat(500)}echo deep`,
    );
    expect(yamlTooDeepAt(text)).toBeUndefined();
    expect(loadPipeline(text, 's.yaml').pipeline.stages[0]!.sequences[0]!.steps).toHaveLength(2);
  });

  it('the measure bounds the real depth: any value nested within the limit is accepted, as YAML of either style', () => {
    const nested = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.integer(), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b'), tie('node'), { maxKeys: 2 })),
    })).node;
    fc.assert(
      fc.property(nested, (value) => {
        const flow = JSON.stringify(value);
        expect(yamlTooDeepAt(flow, 40)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    // One more level than the limit, in flow style, is refused; exactly the limit is not.
    expect(yamlTooDeepAt(`${'['.repeat(MAX_YAML_DEPTH)}${']'.repeat(MAX_YAML_DEPTH)}`)).toBeUndefined();
    expect(yamlTooDeepAt(`${'['.repeat(MAX_YAML_DEPTH + 1)}${']'.repeat(MAX_YAML_DEPTH + 1)}`)).toMatchObject({ line: 1, column: MAX_YAML_DEPTH + 1 });
  });
});
