/**
 * The annotated tag's message: a subject line for people and `Slipway-*` trailers for
 * Slipway itself. The trailers are how a mover judges whether the tag it found is newer
 * than what it would write (see move-tag.ts) and whether it wrote the tag already (the
 * task id), so they are parsed back, not only printed.
 */
export interface TagRecord {
  project: string;
  stage: string;
  service?: string;
  releaseId: string;
  runId: string;
  taskId: string;
  /** Who approved the release in this run (the run's approval tasks), when any did. */
  approvedBy: readonly string[];
  /** The git-tag task's trigger time (UTC ms): orders movers, see move-tag.ts. */
  taggedAt: number;
}

const KEYS = {
  project: 'Slipway-Project',
  stage: 'Slipway-Stage',
  service: 'Slipway-Service',
  releaseId: 'Slipway-Release',
  runId: 'Slipway-Run',
  taskId: 'Slipway-Task',
  approvedBy: 'Slipway-Approved-By',
  taggedAt: 'Slipway-Tagged-At',
} as const;

/** Values go on one line each: a newline in a name must not forge another trailer. */
const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

export function formatTagMessage(r: TagRecord): string {
  const what = r.service ? `${r.service} of release ${r.releaseId}` : `release ${r.releaseId}`;
  const lines = [
    `${what} passed stage ${r.stage} (project ${r.project})`,
    '',
    `${KEYS.project}: ${r.project}`,
    `${KEYS.stage}: ${r.stage}`,
    ...(r.service ? [`${KEYS.service}: ${r.service}`] : []),
    `${KEYS.releaseId}: ${r.releaseId}`,
    `${KEYS.runId}: ${r.runId}`,
    `${KEYS.taskId}: ${r.taskId}`,
    `${KEYS.approvedBy}: ${r.approvedBy.length > 0 ? r.approvedBy.join(', ') : '(no approval in this run)'}`,
    `${KEYS.taggedAt}: ${new Date(r.taggedAt).toISOString()}`,
  ];
  return lines.map(oneLine).join('\n') + '\n';
}

/** The trailers of a tag Slipway wrote; undefined for a tag written by anyone else. */
export function parseTagMessage(text: string): TagRecord | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(Slipway-[A-Za-z-]+): (.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!);
  }
  const get = (k: string) => fields.get(k);
  const taggedAt = Date.parse(get(KEYS.taggedAt) ?? '');
  const releaseId = get(KEYS.releaseId);
  const runId = get(KEYS.runId);
  const taskId = get(KEYS.taskId);
  if (Number.isNaN(taggedAt) || !releaseId || !runId || !taskId) return undefined;
  const approved = get(KEYS.approvedBy) ?? '';
  const service = get(KEYS.service);
  return {
    project: get(KEYS.project) ?? '',
    stage: get(KEYS.stage) ?? '',
    ...(service ? { service } : {}),
    releaseId,
    runId,
    taskId,
    approvedBy: approved.startsWith('(') ? [] : approved.split(',').map((s) => s.trim()).filter(Boolean),
    taggedAt,
  };
}

/** True when `a` was written by a later mover than `b`: later trigger time, then run id as a tie-break. */
export function isNewer(a: Pick<TagRecord, 'taggedAt' | 'runId'>, b: Pick<TagRecord, 'taggedAt' | 'runId'>): boolean {
  return a.taggedAt !== b.taggedAt ? a.taggedAt > b.taggedAt : a.runId > b.runId;
}
