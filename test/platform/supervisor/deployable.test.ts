/** What a deployable is: slipway-app.yaml in a directory or a .tgz, and the errors for a bad one. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, parseManifest, resolveArtifact, sha256File } from '../../../src/platform/manifest/index.js';
import { demoAppDir, getJson, instanceId, supervisor, tempDir, versionDir } from './helpers.js';

describe('deployable manifest', () => {
  it('fills in every default around the start command', () => {
    expect(parseManifest('start: node server.js\n', 'slipway-app.yaml')).toEqual({
      start: 'node server.js',
      portEnv: 'PORT',
      health: { path: '/healthz', intervalMs: 500, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 },
      drainMs: 2000,
      startTimeoutMs: 30_000,
      env: {},
    });
  });

  it('turns env values into strings', () => {
    const manifest = parseManifest('start: x\nenv:\n  RATE: 0.2\n  ON: true\n  NAME: web\n', 'm.yaml');
    expect(manifest.env).toEqual({ RATE: '0.2', ON: 'true', NAME: 'web' });
  });

  it('names file, line, column and field of every problem', () => {
    const text = 'start: node server.js\nhealth:\n  path: healthz\n  intervalMs: fast\n  retries: 3\n';
    expect(() => parseManifest(text, 'app/slipway-app.yaml')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARTIFACT',
        message: expect.stringMatching(
          /^app\/slipway-app\.yaml:3:9: health\.path: must be a URL path starting with \/.*\n.*:4:15: health\.intervalMs: .*number.*\n.*:5:3: health\.retries: unknown field; known fields: path, intervalMs/,
        ),
        fields: expect.objectContaining({ file: 'app/slipway-app.yaml', line: 3, column: 9, field: 'health.path' }),
      }),
    );
  });

  it('says what is missing from an empty or start-less manifest, and where YAML is broken', () => {
    expect(() => parseManifest('', 'm.yaml')).toThrow(/m\.yaml:1:1: the manifest is empty/);
    expect(() => parseManifest('drainMs: 10\n', 'm.yaml')).toThrow(/m\.yaml:1:1: start: missing; it is the command that starts the app/);
    expect(() => parseManifest('start: [x\n', 'm.yaml')).toThrow(/m\.yaml:\d+:\d+: invalid YAML/);
  });

  it('every demo-app version has a valid manifest', async () => {
    const versions = readdirSync(join(demoAppDir, 'versions'));
    expect(versions.sort()).toEqual(['1.0.0', '1.1.0', '1.2.0-slow', '1.3.0-flaky', '1.4.0-unhealthy', '1.5.0-overload']);
    for (const v of versions) expect((await loadManifest(versionDir(v))).env['DEMO_VERSION']).toBe(v);
  });
});

describe('artifact references', () => {
  it('resolves a directory relative to a base directory', async () => {
    const deployable = await resolveArtifact('versions/1.1.0', { baseDir: demoAppDir, dataDir: tempDir() });
    expect(deployable).toMatchObject({ dir: versionDir('1.1.0'), manifest: { env: { DEMO_VERSION: '1.1.0' } } });
  });

  it('rejects a path that does not exist, or is not a directory or .tgz', async () => {
    const dataDir = tempDir();
    await expect(resolveArtifact('nowhere', { baseDir: dataDir, dataDir })).rejects.toThrow(/artifact 'nowhere' does not exist/);
    writeFileSync(join(dataDir, 'app.zip'), 'x');
    await expect(resolveArtifact('app.zip', { baseDir: dataDir, dataDir })).rejects.toThrow(/neither a directory nor a \.tgz/);
  });

  it('unpacks a .tgz once into artifacts/<sha256>/ and runs it', async () => {
    const work = tempDir();
    const dataDir = tempDir();
    mkdirSync(join(work, 'app'));
    copyFileSync(join(demoAppDir, 'server.js'), join(work, 'app', 'server.js'));
    writeFileSync(join(work, 'app', 'slipway-app.yaml'), 'start: node server.js\nhealth:\n  intervalMs: 100\nenv:\n  DEMO_VERSION: packed\n');
    execFileSync('tar', ['-czf', join(work, 'app.tgz'), '-C', work, 'app']);
    const sha = await sha256File(join(work, 'app.tgz'));

    const first = await resolveArtifact('app.tgz', { baseDir: work, dataDir });
    const second = await resolveArtifact(join(work, 'app.tgz'), { dataDir });

    expect(first).toMatchObject({ sha256: sha, dir: join(dataDir, 'artifacts', sha, 'app') });
    expect(second.dir).toBe(first.dir);
    expect(readdirSync(join(dataDir, 'artifacts'))).toEqual([sha]);
    const sup = supervisor({ dataDir });
    const instance = await sup.start({ id: instanceId('packed'), dir: first.dir, manifest: first.manifest });
    expect((await getJson(instance.url)).body.version).toBe('packed');
  });

  it('a file that is not a gzipped tar leaves nothing behind', async () => {
    const work = tempDir();
    const dataDir = tempDir();
    writeFileSync(join(work, 'bad.tgz'), 'not an archive');
    await expect(resolveArtifact('bad.tgz', { baseDir: work, dataDir })).rejects.toThrow(/cannot unpack .*bad\.tgz/);
    expect(readdirSync(join(dataDir, 'artifacts'))).toEqual([]);
  });
});
