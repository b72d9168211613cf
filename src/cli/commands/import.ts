/** `slipway import keptn <git-url-or-path>`: a Keptn project's Git upstream → a Slipway project directory. */
import type { Command } from 'commander';

interface ImportKeptnOptions {
  project?: string;
  out?: string;
  prometheus?: string;
  json?: boolean;
}

export function registerImport(program: Command): void {
  const cmd = program.command('import').description('import a project from another tool');
  cmd
    .command('keptn')
    .description("a Keptn project's Git upstream (shipyard.yaml on the default branch, SLOs/SLIs per stage branch) → a project directory `slipway server` loads")
    .argument('<source>', 'Git URL or local repository path')
    .option('--project <name>', "the project's name (Keptn's project name, e.g. sockshop; default: the shipyard's metadata.name)")
    .option('--out <dir>', 'directory to write (new or empty; default: ./<project>)')
    .option('--prometheus <url>', 'Prometheus the SLI queries go to (written to slipway.keptn.yaml)')
    .option('--json', 'print the import report as JSON')
    .action(async (source: string, opts: ImportKeptnOptions) => {
      // Loaded here, not at the top: other commands start without the importer (fast start).
      const { importKeptnProject } = await import('../../keptn-import/import.js');
      const report = await importKeptnProject({
        source,
        out: opts.out ?? (opts.project ?? 'keptn-project'),
        ...(opts.project !== undefined ? { project: opts.project } : {}),
        ...(opts.prometheus !== undefined ? { prometheusUrl: opts.prometheus } : {}),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const say = (l: string) => process.stdout.write(`${l}\n`);
      say(`imported Keptn project ${report.project} into ${report.out}`);
      say(`  stages: ${report.stages.join(', ')}${report.missingBranches.length ? ` (no branch: ${report.missingBranches.join(', ')})` : ''}`);
      for (const f of report.files) say(`  ${f.stage}/${f.service}: ${f.kind} ${f.from} → ${f.to}`);
      for (const [name, t] of Object.entries(report.tasks)) say(`  task ${name}: ${t.runs === 'built-in' ? 'built-in' : `outside executor (kind ${t.kind})`}`);
      for (const p of report.problems) say(`  not imported: ${p}`);
      say(`report: ${report.out}/KEPTN-IMPORT.md; load it with: slipway server ${report.out}`);
    });
}
