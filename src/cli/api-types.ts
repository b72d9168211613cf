/** Shapes the server answers with (docs/api.md). */
import type { Provenance, Run, SlipwayEvent } from '../core/index.js';

export type ApiRun = Omit<Run, 'spec'>;

export interface RunsPage {
  runs: ApiRun[];
  nextCursor: string | null;
}

export interface Triggered {
  releaseId: string;
  runId: string;
  created?: boolean;
}

export interface StatusMatrix {
  project: string;
  stages: {
    name: string;
    services: {
      service: string;
      artifact: string | null;
      release: string | null;
      state: string | null;
      since: number | null;
      lastGoodRelease?: string | null;
      lastGoodArtifact?: string | null;
      endpoint?: string | null;
    }[];
    /** Watch-after-success windows open in the stage. */
    watching?: { releaseId: string; runId: string; until: number }[];
    /** The stage's promotion schedule: its next fire time and last outcome. */
    schedule?: {
      cron: string;
      timeZone: string;
      next: { at: number; utc: string; local: string } | null;
      last: { dueAt: number; at: number; fired: boolean; releaseId: string | null; reason: string | null } | null;
    };
    /** Automatic promotion into the stage holds: who chose an older release, and when. */
    hold?: { by: string; at: number; releaseId: string; automationWould: string };
  }[];
}

export interface ApiRelease {
  id: string;
  project: string;
  artifacts: Record<string, string>;
  provenance: Provenance;
  createdAt: number;
  stages: { stage: string; sequence: string; result: string; runId: string; at: number }[];
}

export interface EventsPage {
  events: { seq: number; event: SlipwayEvent }[];
  next: number | null;
}

export interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  groups?: string[];
  token?: string;
  createdAt?: number;
}
