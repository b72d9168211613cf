/**
 * A `.tgz` deployable is unpacked once, into `<dataDir>/artifacts/<sha256 of the file>/`:
 * the content hash names it, so the same file is never unpacked twice and a changed file
 * never reuses a stale tree. Unpacking goes to a temporary directory that is renamed into
 * place, so a crash never leaves a half-unpacked artifact where a later start would trust it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../../core/index.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function untar(file: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // GNU tar drops leading `/` and refuses `..` members, so nothing lands outside `into`.
    execFile('tar', ['-xzf', file, '-C', into, '--no-same-owner'], (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve();
    });
  });
}

/** Unpacks `file` unless an earlier call did; returns the artifact directory and the file's hash. */
export async function unpackOnce(file: string, dataDir: string): Promise<{ dir: string; sha256: string }> {
  const sha256 = await sha256File(file);
  const root = join(dataDir, 'artifacts');
  const dir = join(root, sha256);
  if (await exists(dir)) return { dir, sha256 };
  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, `.unpack-${sha256.slice(0, 12)}-`));
  try {
    await untar(file, tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    const detail = (err as { stderr?: string }).stderr || (err as Error).message;
    throw new SlipwayError('INVALID_ARTIFACT', `cannot unpack ${file}: ${detail}; expected a gzipped tar archive`, { file }, { cause: err });
  }
  try {
    await rename(tmp, dir);
  } catch (err) {
    // Another start unpacked the same file at the same time; its tree is identical.
    await rm(tmp, { recursive: true, force: true });
    if (!(await exists(dir))) throw err;
  }
  return { dir, sha256 };
}
