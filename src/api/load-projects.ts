/**
 * What a server loads once Slipway is open: projects saved earlier are loaded by
 * openSlipway; then `<data>/projects/*.yaml`, then files named on the command line, so an
 * explicit file wins. Shared by a single server (start.ts) and a replica taking over (replicas/).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Slipway } from '../main.js';

/** Answers the pipelines' warnings, `file:line:col: …`. */
export async function loadServerProjects(slipway: Slipway, dataDir: string, files: readonly string[], project: string | undefined, log: Logger): Promise<string[]> {
  const warnings: string[] = [];
  for (const file of await projectFiles(dataDir)) {
    const loaded = await slipway.addPipelineFile(file);
    warnings.push(...loaded.warnings);
    log.info({ project: loaded.pipeline.name, version: loaded.pipeline.version, file }, 'project loaded');
  }
  const named = await slipway.addProjectFiles(files, project !== undefined ? { project } : {});
  for (const loaded of named.loaded) {
    warnings.push(...loaded.warnings);
    log.info({ project: loaded.pipeline.name, version: loaded.pipeline.version }, 'project loaded');
  }
  for (const note of named.notes) log.info(note);
  return warnings;
}

async function projectFiles(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'projects');
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort().map((n) => join(dir, n));
}
