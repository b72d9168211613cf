/**
 * `slipway import keptn`: a Keptn project's Git upstream → a Slipway project directory.
 *
 * Keptn kept one branch per stage: `shipyard.yaml` on the default branch, and per stage branch
 * `<service>/slo.yaml` with `<service>/prometheus/sli.yaml` (or `<service>/sli.yaml`). The
 * repository is read with the real `git` (clone, ls-tree, show), never checked out, and written as:
 *
 *   <out>/shipyard.yaml                       the shipyard, byte for byte
 *   <out>/slipway.keptn.yaml                  the project's name (and Prometheus URL, when given)
 *   <out>/keptn/<stage>/<service>/slo.yaml    each stage's SLO per service
 *   <out>/keptn/<stage>/<service>/sli.yaml    and its SLI queries
 *   <out>/KEPTN-IMPORT.md                     what maps to Slipway, and what needs an outside executor
 *
 * `slipway server <out>` loads it; its evaluation tasks find their SLO by stage and service.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SlipwayError } from '../core/index.js';
import { builtinExecutors, createDeployExecutor, createReleaseExecutor, createRestartExecutor } from '../executors/index.js';
import { KEPTN_PROJECT_FILE, keptnBuiltinMap, keptnTaskKind, loadKeptnSli, loadKeptnSlo, loadPipeline } from '../spec/index.js';

const run = promisify(execFile);

export interface ImportOptions {
  /** A Git URL or a local repository path. */
  source: string;
  /** The directory to write; it must not exist or be empty. */
  out: string;
  /** The project's name (Keptn's project name, e.g. sockshop); default: the shipyard's metadata.name. */
  project?: string;
  /** Where the SLI queries go (written to slipway.keptn.yaml). */
  prometheusUrl?: string;
}

export interface ImportedFile {
  stage: string;
  service: string;
  kind: 'slo' | 'sli';
  /** Where it was on the stage branch. */
  from: string;
  /** Where it was written, relative to `out`. */
  to: string;
}

export interface ImportReport {
  project: string;
  out: string;
  stages: string[];
  files: ImportedFile[];
  /** Stage branches the repository lacks (a stage without SLOs, or a repository Keptn never wrote to). */
  missingBranches: string[];
  /** Files on stage branches not imported (helm charts, jmeter scripts, job-executor config): outside executors read them. */
  otherFiles: Record<string, string[]>;
  /** Keptn task name → how it runs here. */
  tasks: Record<string, { runs: 'built-in' | 'outside'; kind: string; where: string[] }>;
  /** SLO or SLI files that do not load, with the reason (not written). */
  problems: string[];
}

export async function importKeptnProject(opts: ImportOptions): Promise<ImportReport> {
  const out = resolve(opts.out);
  await ensureEmpty(out);
  const clone = await mkdtemp(join(tmpdir(), 'slipway-keptn-import-'));
  try {
    await git(['clone', '--quiet', '--no-checkout', opts.source, clone], undefined, `cannot clone '${opts.source}'`);
    const shipyardText = await git(['show', 'HEAD:shipyard.yaml'], clone, `'${opts.source}' has no shipyard.yaml on its default branch (Keptn keeps it there)`);
    const { pipeline } = loadPipeline(shipyardText, `${opts.source}:shipyard.yaml`);
    const project = opts.project ?? pipeline.name;
    const stages = pipeline.stages.map((s) => s.name);
    const branches = new Set((await git(['branch', '-r', '--format=%(refname:short)'], clone, 'cannot list branches')).split('\n').map((b) => b.trim().replace(/^origin\//, '')).filter(Boolean));

    const report: ImportReport = { project, out, stages, files: [], missingBranches: [], otherFiles: {}, tasks: {}, problems: [] };
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'shipyard.yaml'), shipyardText);
    const projectFile = ['keptn:', `  project: ${project}`, ...(opts.prometheusUrl ? ['  prometheus:', `    url: ${opts.prometheusUrl}`] : [])];
    await writeFile(join(out, KEPTN_PROJECT_FILE), `# Written by slipway import keptn from ${opts.source}\n${projectFile.join('\n')}\n`);

    for (const stage of stages) {
      if (!branches.has(stage)) {
        report.missingBranches.push(stage);
        continue;
      }
      const ref = `origin/${stage}`;
      const paths = (await git(['ls-tree', '-r', '--name-only', ref], clone, `cannot list branch '${stage}'`)).split('\n').filter(Boolean);
      const taken = new Set<string>();
      for (const { service, kind, from } of resourcesOf(paths)) {
        taken.add(from);
        const text = await git(['show', `${ref}:${from}`], clone, `cannot read ${from} on branch '${stage}'`);
        const at = `${opts.source}@${stage}:${from}`;
        try {
          if (kind === 'slo') loadKeptnSlo(text, at);
          else loadKeptnSli(text, at);
        } catch (e) {
          report.problems.push(e instanceof Error ? e.message : String(e));
          continue;
        }
        const to = join('keptn', stage, service, `${kind}.yaml`);
        await mkdir(dirname(join(out, to)), { recursive: true });
        await writeFile(join(out, to), text);
        report.files.push({ stage, service, kind, from, to });
      }
      const other = paths.filter((p) => !taken.has(p) && p !== 'shipyard.yaml' && !p.startsWith('.'));
      if (other.length > 0) report.otherFiles[stage] = other;
    }

    const builtin = keptnBuiltinMap(undefined);
    // The kinds a default `slipway server` runs itself: a Keptn task of such a name is `keptn.<name>` there.
    const none = () => undefined;
    const served = new Set([...builtinExecutors(), createDeployExecutor(none), createReleaseExecutor(none), createRestartExecutor(none)].map((e) => e.kind));
    for (const st of pipeline.stages) {
      for (const seq of st.sequences) {
        for (const t of seq.steps.flatMap((s) => s.tasks)) {
          const kind = builtin[t.name];
          const entry = (report.tasks[t.name] ??= { runs: kind === undefined ? 'outside' : 'built-in', kind: keptnTaskKind(t.name, builtin, served), where: [] });
          entry.where.push(`${st.name}/${seq.name}`);
        }
      }
    }
    await writeFile(join(out, 'KEPTN-IMPORT.md'), renderReport(report, opts.source));
    return report;
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}

/** `<service>/slo.yaml`, `<service>/prometheus/sli.yaml` (preferred) or `<service>/sli.yaml`. */
function resourcesOf(paths: readonly string[]): { service: string; kind: 'slo' | 'sli'; from: string }[] {
  const out: { service: string; kind: 'slo' | 'sli'; from: string }[] = [];
  const has = new Set(paths);
  for (const p of paths) {
    const parts = p.split('/');
    if (parts.length === 2 && parts[1] === 'slo.yaml') out.push({ service: parts[0]!, kind: 'slo', from: p });
    else if (parts.length === 3 && parts[1] === 'prometheus' && parts[2] === 'sli.yaml') out.push({ service: parts[0]!, kind: 'sli', from: p });
    else if (parts.length === 2 && parts[1] === 'sli.yaml' && !has.has(`${parts[0]}/prometheus/sli.yaml`)) out.push({ service: parts[0]!, kind: 'sli', from: p });
  }
  return out;
}

function renderReport(r: ImportReport, source: string): string {
  const lines = [
    `# Keptn project ${r.project}, imported`,
    '',
    `From \`${source}\`. Load it with \`slipway server ${r.out}\` (or \`slipway run ${r.out} --service <name> --artifact <ref>\`).`,
    '',
    '## Tasks',
    '',
    '| Keptn task | Runs | Kind here | In |',
    '|---|---|---|---|',
    ...Object.entries(r.tasks).map(([name, t]) => `| ${name} | ${t.runs === 'built-in' ? 'built-in' : 'outside executor'} | \`${t.kind}\` | ${t.where.join(', ')} |`),
    '',
    'Built-in: `approval` (Keptn\'s shipyard-controller) and `evaluation` (Keptn\'s lighthouse: scored with the SLO below for its stage and service; without one it passes with nothing to evaluate).',
    'Every other task needs an outside executor, as in Keptn: Keptn-protocol services poll `sh.keptn.event.<task>.triggered`;',
    "Slipway executors claim the kind shown (a task whose name is also a built-in kind, such as `release`, has the kind `keptn.<name>`; map it to the built-in with `builtin: {release: release}` in slipway.keptn.yaml).",
    '',
    '## SLOs and SLIs',
    '',
    ...(r.files.length === 0 ? ['None found on the stage branches.'] : r.files.map((f) => `- ${f.stage}/${f.service}: \`${f.from}\` → \`${f.to}\``)),
    ...(r.missingBranches.length ? ['', `Stages without a branch: ${r.missingBranches.join(', ')}.`] : []),
    ...(r.problems.length ? ['', '## Not imported (do not load)', '', ...r.problems.map((p) => `- ${p.split('\n').join('\n  ')}`)] : []),
    '',
    '## Other files on the stage branches (not imported; outside executors read them)',
    '',
    ...(Object.keys(r.otherFiles).length === 0 ? ['None.'] : Object.entries(r.otherFiles).map(([stage, files]) => `- ${stage}: ${files.join(', ')}`)),
    '',
  ];
  return lines.join('\n');
}

async function ensureEmpty(dir: string): Promise<void> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw new SlipwayError('INVALID_INPUT', `--out ${dir}: ${e.message}`, { field: 'out' });
  });
  if (names.length > 0) throw new SlipwayError('INVALID_INPUT', `--out ${dir} is not empty; import into a new directory`, { field: 'out' });
}

async function git(args: string[], cwd: string | undefined, what: string): Promise<string> {
  try {
    const { stdout } = await run('git', args, { ...(cwd ? { cwd } : {}), maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const reason = err.code === 'ENOENT' ? 'git is not installed (slipway import runs the git command)' : (err.stderr ?? err.message).trim();
    throw new SlipwayError('INVALID_INPUT', `${what}: ${reason}`, { field: 'source' }, { cause: e });
  }
}
