/** The API's answers as the dashboard reads them (docs/api.md); only the fields it uses. */

export interface MatrixCell {
  release: string | null;
  artifact: string | null;
  runId: string | null;
  state: string | null;
  since: number | null;
  lastGoodRelease: string | null;
  lastGoodArtifact: string | null;
  queued: number;
  frozen: boolean;
  waiting: boolean;
  paused: boolean;
  soaking: number | null;
  rolledBack: boolean;
  activeRunId: string | null;
}

export interface StageInfo {
  name: string;
  after: string[];
  promotion: 'auto' | 'manual' | 'schedule';
}

/** `/api/v1/dashboard/matrix` as sent: strings and runs listed once, cells pointing at them (see docs/api.md). */
export interface WireMarks {
  queued?: number;
  frozen?: true;
  waiting?: true;
  paused?: true;
  soaking?: number;
  active?: string;
}
export type WireCell = null | [number, number, number, number] | [number, number, number, number, WireMarks];
export interface WireMatrix {
  name: string;
  services: string[];
  stages: StageInfo[];
  strings: string[];
  runs: { id: string; release: number; state: string; since: number; rolledBack: boolean }[];
  cells: WireCell[][];
}

export interface ProjectMatrix {
  name: string;
  services: string[];
  stages: StageInfo[];
  cells: MatrixCell[][];
}

export interface Task {
  id: string;
  name: string;
  kind: string;
  step: number;
  state: string;
  attempt: number;
  result: string | null;
  message: string | null;
  triggeredAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  waitUntil: number | null;
  waitingFor: string | null;
  by: string | null;
}

export interface Run {
  id: string;
  project: string;
  stage: string;
  sequence: string;
  releaseId: string;
  services: string[];
  state: string;
  result: string | null;
  step: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  reason: string | null;
  triggeredBy: string | null;
  tasks: Task[];
  cause?: string | null;
  rolledBackTo?: string | null;
  frozen?: { windows: string[]; until: number } | null;
}

export interface Release {
  id: string;
  project: string;
  artifacts: Record<string, string>;
  provenance: Record<string, unknown>;
  createdAt: number;
  stages: { stage: string; sequence: string; result: string; runId: string; at: number }[];
}

export interface CloudEvent {
  id: string;
  type: string;
  time: string;
  project: string;
  runid?: string;
  taskid?: string;
  data: Record<string, unknown>;
}

export interface StoredEvent {
  seq: number;
  event: CloudEvent;
}

export interface Approval {
  taskId: string;
  project: string;
  stage: string;
  runId: string;
  releaseId: string;
  task: string;
  since: number | null;
  message: string | null;
  progress: { summary: string; missing: string[] };
  approvals: { by: string; decision: string; at: number; comment: string | null }[];
}
