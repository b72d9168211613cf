/**
 * The supervisor's desired state, `<dataDir>/supervisor.json`: every instance that should
 * be running (or is being retired), with the pid and port of its current process. It is
 * rewritten whole on every change, through a temporary file and a rename, so a crash leaves
 * either the old or the new version. A restarted Slipway reads it to adopt or restart.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import { ManifestSchema, type AppManifest } from '../manifest/index.js';

export interface InstanceRecord {
  id: string;
  dir: string;
  manifest: AppManifest;
  env: Record<string, string>;
  port: number;
  /** The current process (the leader of its group); absent while none runs. */
  pid?: number;
  /** Set once retire() began: after a restart the process is stopped, not adopted. */
  retiring?: boolean;
}

const RecordSchema = z.object({
  id: z.string().min(1),
  dir: z.string().min(1),
  manifest: ManifestSchema,
  env: z.record(z.string(), z.string()),
  port: z.number().int().positive(),
  pid: z.number().int().positive().optional(),
  retiring: z.boolean().optional(),
});

const FileSchema = z.object({ version: z.literal(1), instances: z.array(RecordSchema) });

export function readDesired(file: string): InstanceRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(file, (err as Error).message, err);
  }
  const parsed = FileSchema.safeParse(value);
  if (!parsed.success) throw corrupt(file, parsed.error.issues[0]?.message ?? 'invalid', parsed.error);
  return parsed.data.instances;
}

export function writeDesired(file: string, instances: readonly InstanceRecord[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify({ version: 1, instances }, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function corrupt(file: string, detail: string, cause: unknown): SlipwayError {
  return new SlipwayError(
    'INTERNAL',
    `the supervisor state ${file} is unreadable (${detail}); the instances it lists cannot be adopted. Move it aside to start empty`,
    { file },
    { cause },
  );
}
