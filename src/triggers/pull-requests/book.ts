/**
 * The pull-request environments Slipway keeps, in one JSON file beside the local platform's
 * own state file (`<data>/platform/`): the environments exist only on that platform, and its
 * state is a file too, so both survive a restart together. Each write replaces the file
 * atomically (write, then rename) and writes are serialised, so a crash leaves the old or the
 * new list, never half of one. The expiry time in each record is the durable timer: a
 * restarted Slipway reads it and tears down what expired while it was down.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** open: the environment exists (or is being deployed); closed: torn down, kept for the list's history. */
export interface PullRequestRecord {
  project: string;
  number: number;
  stage: string;
  state: 'open' | 'closed';
  commit: string;
  branch: string;
  artifacts: Record<string, string>;
  title?: string;
  author?: string;
  /** The pull request's page on the forge. */
  url?: string;
  source: string;
  openedAt: number;
  /** The last deploy (open or update): the idle TTL counts from here. */
  deployedAt: number;
  /** When an idle environment is torn down (UTC ms); absent while kept. */
  expiresAt?: number;
  kept: boolean;
  releaseId?: string;
  runId?: string;
  /** How the run of the last deploy ended (while it runs, the engine's view says). */
  runState?: 'succeeded' | 'failed' | 'aborted';
  closedAt?: number;
  /** closed, merged, expired (TTL), or by hand. */
  closedBecause?: string;
}

export const recordKey = (project: string, n: number): string => `${project}#${n}`;

export class PullRequestBook {
  private records = new Map<string, PullRequestRecord>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      const list = JSON.parse(await readFile(this.file, 'utf8')) as PullRequestRecord[];
      this.records = new Map(list.map((r) => [recordKey(r.project, r.number), r]));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.records = new Map();
    }
  }

  get(project: string, n: number): PullRequestRecord | undefined {
    return this.records.get(recordKey(project, n));
  }

  list(project?: string): PullRequestRecord[] {
    return [...this.records.values()].filter((r) => project === undefined || r.project === project).sort((a, b) => a.project.localeCompare(b.project) || a.number - b.number);
  }

  /** Stores the record and resolves once the file holds it. */
  put(r: PullRequestRecord): Promise<void> {
    this.records.set(recordKey(r.project, r.number), r);
    const list = JSON.stringify([...this.records.values()], null, 1);
    // A failed earlier write must not fail every later one: each write carries the whole list.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(`${this.file}.tmp`, list);
      await rename(`${this.file}.tmp`, this.file);
    });
    return this.writing;
  }
}
