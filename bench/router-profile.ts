/**
 * `--profile DIR`: a CPU profile of this process (the router) while it is under load, written
 * as DIR/router.cpuprofile (open it in Chrome DevTools), with the functions that took the most
 * self time summed up for the printed report.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  share: number;
  where: string;
}

export class CpuProfile {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }

  /** Stops, writes the profile under `dir`, and returns the top `n` functions by self time. */
  async stop(dir: string, n = 15): Promise<Hotspot[]> {
    const { profile } = (await this.session.post('Profiler.stop')) as unknown as { profile: Profile };
    this.session.disconnect();
    writeFileSync(join(dir, 'router.cpuprofile'), JSON.stringify(profile));
    return hotspots(profile, n);
  }
}

export function hotspots(profile: Profile, n: number): Hotspot[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!f) return;
    const file = f.url.split('/').slice(-2).join('/');
    const where = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
    self.set(where, (self.get(where) ?? 0) + dt);
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([where, t]) => ({ share: total > 0 ? t / total : 0, where }));
}
