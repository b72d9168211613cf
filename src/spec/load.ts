/** Reading a pipeline file: parse the YAML, tell the format by its apiVersion, hand it on. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SlipwayError } from '../core/index.js';
import type { Pipeline } from '../core/index.js';
import { KEPTN_API_VERSION } from './keptn-schema.js';
import type { KindCatalog } from './kinds.js';
import { loadKeptn } from './keptn-load.js';
import type { KeptnLoadOptions } from './keptn-load.js';
import { problem, show } from './problems.js';
import { throwProblems } from './report.js';
import { withSecretWarnings } from './secret-warnings.js';
import { loadSlipway } from './slipway-load.js';
import { parseSource, type ParsedSource } from './source.js';

export interface LoadedPipeline {
  pipeline: Pipeline;
  /** Things that load but probably do not do what the author meant, each positioned `file:line:col`. */
  warnings: string[];
}

const SLIPWAY_API = 'slipway/v1';
const FORMATS = `${SLIPWAY_API} (kind Pipeline), spec.keptn.sh/0.2.x (kind Shipyard)`;

export interface LoadOptions {
  /**
   * The task kinds this process serves (with their property checks) and those left to
   * outside executors: a task of any other kind is an error. Absent: kinds are not checked.
   */
  kinds?: KindCatalog;
  /** Keptn shipyards: slipway.keptn.yaml's options and a project name from the command line. */
  keptn?: KeptnLoadOptions;
}

/** `text` is the file's content; `file` is the name messages use for it. */
export function loadPipeline(text: string, file: string, opts: LoadOptions = {}): LoadedPipeline {
  return loadParsedPipeline(parseSource(text, file), opts);
}

/** The same from text already parsed with parseSource: a caller that looks at the YAML first (is it a Keptn SLO file?) parses it once. */
export function loadParsedPipeline({ source, problems }: ParsedSource, opts: LoadOptions = {}): LoadedPipeline {
  if (problems.length > 0) throwProblems(source, problems);
  const version = createHash('sha256').update(source.text).digest('hex').slice(0, 16);
  const doc = source.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    const got = doc === undefined || doc === null ? 'the file is empty' : `got ${show(doc)}`;
    throwProblems(source, [problem('SPEC_FIELD', [], `expected a mapping with apiVersion, kind, metadata and spec; ${got}`)]);
  }
  const api = (doc as Record<string, unknown>).apiVersion;
  const keptnFile = api === undefined ? keptnResourceKind(doc) : undefined;
  if (keptnFile !== undefined) {
    throwProblems(source, [
      problem(
        'SPEC_FIELD',
        [],
        `this is a Keptn ${keptnFile} file (spec_version and ${keptnFile === 'SLO' ? 'objectives' : 'indicators'}), not a pipeline; ` +
          `an evaluation task reads it from properties.${keptnFile.toLowerCase()}, or from keptn/<stage>/<service>/${keptnFile.toLowerCase()}.yaml beside the shipyard (the layout \`slipway import keptn\` writes)`,
      ),
    ]);
  }
  if (api === SLIPWAY_API) return withSecretWarnings(source, loadSlipway(source, version, opts.kinds));
  if (typeof api === 'string' && KEPTN_API_VERSION.test(api)) return withSecretWarnings(source, loadKeptn(source, version, opts.kinds, opts.keptn));
  const what = api === undefined ? 'is required' : `${show(api)} is not supported`;
  throwProblems(source, [problem('SPEC_FIELD', ['apiVersion'], `${what}; valid: ${FORMATS}`)]);
}

/** A Keptn resource file that is not a shipyard: `slo.yaml` (spec_version + objectives) or `sli.yaml` (spec_version + indicators). */
export type KeptnResourceKind = 'SLO' | 'SLI';

/** Tells Keptn's SLO and SLI files apart from pipelines by their top-level keys (they have no apiVersion). */
export function keptnResourceKind(doc: unknown): KeptnResourceKind | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (d.apiVersion !== undefined || d.spec_version === undefined) return undefined;
  if (d.objectives !== undefined) return 'SLO';
  if (d.indicators !== undefined) return 'SLI';
  return undefined;
}

/** Reads and loads `path`; messages name the file as `path` is written. */
export function loadPipelineFile(path: string, opts: LoadOptions = {}): LoadedPipeline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the pipeline file: ${reason}`, { file: path }, { cause: e });
  }
  return loadPipeline(text, path, opts);
}
