import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const copy = fileURLToPath(new URL('../conformance/keptn/', import.meta.url));
const shared = fileURLToPath(new URL('../../../shared/conformance/keptn/', import.meta.url));

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

describe('conformance files', () => {
  it.skipIf(!existsSync(shared))('the copy in test/conformance equals shared/conformance byte for byte (skipped where shared/ is absent)', () => {
    expect(files(copy).sort()).toEqual(files(shared).sort());
    for (const f of files(shared)) expect(readFileSync(join(copy, f)), f).toEqual(readFileSync(join(shared, f)));
  });
});
