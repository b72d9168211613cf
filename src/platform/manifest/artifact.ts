/**
 * Resolving an artifact reference (a path to a directory or a `.tgz`, absolute or relative
 * to a base directory) to a deployable: the directory to run in and its manifest.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SlipwayError } from '../../core/index.js';
import { loadManifest } from './parse.js';
import { MANIFEST_FILE, type AppManifest } from './schema.js';
import { unpackOnce } from './unpack.js';

export interface Deployable {
  /** The reference as given. */
  ref: string;
  /** The directory the app starts in (holds the manifest). */
  dir: string;
  manifest: AppManifest;
  /** Set for a `.tgz`: the hash of the file, which names its unpacked directory. */
  sha256?: string;
}

export interface ResolveOptions {
  /** Where `.tgz` artifacts are unpacked (`<dataDir>/artifacts/<sha256>/`). */
  dataDir: string;
  /** Relative references resolve against this; default: the current directory. */
  baseDir?: string;
}

const ARCHIVE = /\.(tgz|tar\.gz)$/i;

export async function resolveArtifact(ref: string, opts: ResolveOptions): Promise<Deployable> {
  const path = resolve(opts.baseDir ?? process.cwd(), ref);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new SlipwayError(
      'INVALID_ARTIFACT',
      `artifact '${ref}' does not exist (looked at ${path}); give a directory holding ${MANIFEST_FILE} or a .tgz of one`,
      { field: 'artifact', path },
    );
  }
  if (info.isDirectory()) return { ref, dir: path, manifest: await loadManifest(path) };
  if (!ARCHIVE.test(path)) {
    throw new SlipwayError('INVALID_ARTIFACT', `artifact '${ref}' is neither a directory nor a .tgz file`, { field: 'artifact', path });
  }
  const { dir, sha256 } = await unpackOnce(path, opts.dataDir);
  const appDir = await appRoot(dir, ref);
  return { ref, dir: appDir, manifest: await loadManifest(appDir), sha256 };
}

/** The manifest sits at the top of the archive, or inside its one top-level directory (`tar czf app.tgz app/`). */
async function appRoot(dir: string, ref: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((e) => e.name === MANIFEST_FILE && e.isFile())) return dir;
  const only = entries.length === 1 && entries[0]!.isDirectory() ? join(dir, entries[0]!.name) : undefined;
  if (only && (await stat(join(only, MANIFEST_FILE)).catch(() => undefined))) return only;
  throw new SlipwayError(
    'INVALID_ARTIFACT',
    `archive '${ref}' has no ${MANIFEST_FILE} at its top or inside a single top-level directory`,
    { field: 'artifact', path: dir },
  );
}
