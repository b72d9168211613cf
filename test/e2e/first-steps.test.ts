/**
 * The README's "First steps", run as written: the commands are read from the README's
 * fenced blocks (so the README and this test cannot drift apart), the CLI is installed the
 * documented way into a temp prefix, and everything after runs in a fresh folder outside
 * the checkout, with a temp HOME. The outcomes the README states in its prose (the
 * `release rel-…` lines, `deployed.txt`, exit codes) are checked against what happened.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(CHECKOUT, 'README.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string }).version;

/** The README's "## First steps" section, up to the next second-level heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no '${heading}' section`);
  const end = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, end === -1 ? undefined : end);
}

interface Block {
  lang: string;
  text: string;
}

function blocks(md: string): Block[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/** Shell commands of a block: continuation lines joined, comments and blank lines dropped. */
function commands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

interface Ran {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
  cwd: string;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolveRan, reject) => {
    const p = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolveRan({ command, code, stdout, stderr, cwd }));
  });
}

/** A README snippet with `…` standing for any id or elision, as a pattern. */
const pattern = (snippet: string) => new RegExp(snippet.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\S*'));

const FIRST_STEPS = section(README, '## First steps');
const ran: Ran[] = [];
const deployedAfter = new Map<string, string>();
let tmp: string;
let home: string;

beforeAll(async () => {
  tmp = realpathSync(await mkdtemp(join(tmpdir(), 'slipway-first-steps-')));
  home = join(tmp, 'home');
  const prefix = join(tmp, 'prefix');
  await mkdir(home);
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLIPWAY_') && !k.toLowerCase().startsWith('npm_')));
  Object.assign(env, {
    HOME: home,
    PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}`,
    NO_COLOR: '1',
    // `npm install -g` as written, into a temp prefix instead of the machine's.
    npm_config_prefix: prefix,
    // The package's `prepare` script is `npm run build`, which the test run did already
    // (and `npm ci` does for a user); running it again here would rewrite dist/ under the
    // test files that run it concurrently. A link install needs no registry either.
    npm_config_ignore_scripts: 'true',
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  });
  // The README's commands start in the clone.
  let cwd = CHECKOUT;
  for (const block of blocks(FIRST_STEPS).filter((b) => b.lang === 'sh')) {
    for (const command of commands(block.text)) {
      const cd = /^cd\s+(\S+)$/.exec(command);
      if (cd) {
        cwd = resolve(cwd, cd[1]!.replace(/^~(?=\/|$)/, home));
        continue;
      }
      const r = await sh(command, cwd, env);
      ran.push(r);
      const deployed = join(cwd, 'deployed.txt');
      if (existsSync(deployed)) deployedAfter.set(command, await readFile(deployed, 'utf8'));
    }
  }
}, 300_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const find = (re: RegExp): Ran => {
  const r = ran.find((x) => re.test(x.command));
  if (!r) throw new Error(`the README's first steps have no command matching ${re}; they ran: ${ran.map((x) => x.command).join(' | ')}`);
  return r;
};
const runs = () => ran.filter((r) => /^slipway run /.test(r.command));
const show = (r: Ran) => `${r.command}\n(exit ${r.code})\n${r.stdout}\n${r.stderr}`;

describe("the README's first steps, from a fresh folder outside the checkout", () => {
  it('install the CLI with one documented command, into a prefix of its own', () => {
    const install = find(/^npm install -g /);
    expect(install.code, show(install)).toBe(0);
    const version = find(/^slipway --version$/);
    expect(version.code, show(version)).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    expect(existsSync(join(tmp, 'prefix', 'bin', 'slipway'))).toBe(true);
  });

  it('the CLI installed that way answers --help', async () => {
    const help = await sh(`${join(tmp, 'prefix', 'bin', 'slipway')} --help`, home, { ...process.env, NO_COLOR: '1' });
    expect(help.code, show(help)).toBe(0);
    expect(help.stdout).toContain('Usage: slipway');
    expect(help.stdout).toMatch(/\brun\b.*\n/);
  });

  it('show the pipeline that ships in examples/first-steps, word for word', () => {
    const yaml = blocks(FIRST_STEPS).filter((b) => b.lang === 'yaml');
    expect(yaml).toHaveLength(1);
    expect(yaml[0]!.text).toBe(readFileSync(join(CHECKOUT, 'examples/first-steps/slipway.yaml'), 'utf8'));
  });

  it('run the releases in a folder outside the checkout', () => {
    expect(runs().length).toBeGreaterThanOrEqual(4);
    for (const r of runs()) {
      expect(r.cwd.startsWith(home)).toBe(true);
      expect(realpathSync(r.cwd).startsWith(realpathSync(CHECKOUT))).toBe(false);
    }
  });

  it('each service passes dev on its own and exits 0; both as one release pass hardening and production and exit 0', () => {
    const [fe, be, both] = runs();
    for (const r of [fe!, be!]) {
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toMatch(/^release rel-[0-9a-f]+ passed: dev$/m);
    }
    expect(both!.command).toContain('--stage hardening');
    expect(both!.code, show(both!)).toBe(0);
    const out = JSON.parse(both!.stdout) as { release: { artifacts: Record<string, string> }; stages: Record<string, { result: string; state: string; tasks: { name: string; result: string }[] }> };
    expect(out.release.artifacts).toEqual({ frontend: 'registry/frontend:1.4.2', backend: 'registry/backend:2.0.1' });
    expect(out.stages['hardening']).toMatchObject({ result: 'pass', state: 'succeeded', tasks: [{ name: 'deploy', result: 'pass' }, { name: 'soak', result: 'pass' }] });
    expect(out.stages['production']).toMatchObject({ result: 'pass', state: 'succeeded', tasks: [{ name: 'approval', result: 'pass' }, { name: 'deploy', result: 'pass' }] });
    const ends = /`deployed\.txt` now ends with `([^`]+)`/.exec(FIRST_STEPS);
    expect(ends, 'the README says how deployed.txt ends').not.toBeNull();
    expect(deployedAfter.get(both!.command)!.trim().split('\n').at(-1)).toBe(ends![1]);
  });

  it('a broken artifact fails in dev, exits 1, and shows the smoke test\'s last output and its log', () => {
    const broken = runs().find((r) => r.command.includes('broken'))!;
    expect(broken.code, show(broken)).toBe(1);
    expect(broken.stderr).toContain('GET /healthz on registry/frontend:1.5.0-broken: 500 Internal Server Error');
    const log = /full log: (\S+)/.exec(broken.stderr);
    expect(log, show(broken)).not.toBeNull();
    expect(log![1]!.startsWith(join(broken.cwd, '.slipway', 'tasks'))).toBe(true);
    expect(readFileSync(log![1]!, 'utf8')).toContain('500 Internal Server Error');
  });

  it('every `release rel-…` outcome the README quotes is one a command printed', () => {
    const quoted = [...FIRST_STEPS.matchAll(/`(release rel-…[^`]*)`/g)].map((m) => m[1]!);
    expect(quoted.length).toBeGreaterThanOrEqual(2);
    const printed = runs()
      .map((r) => r.stderr)
      .join('\n');
    for (const q of quoted) expect(printed, q).toMatch(pattern(q));
  });
});
