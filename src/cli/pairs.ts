/** `--service a --artifact x --service b --artifact y`: pairs in the order given. */
import { SlipwayError } from '../core/index.js';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function artifactPairs(services: string[], artifacts: string[]): Record<string, string> {
  if (services.length === 0) {
    throw new SlipwayError('INVALID_INPUT', 'give at least one --service NAME --artifact REF pair', { field: 'service' });
  }
  if (services.length !== artifacts.length) {
    throw new SlipwayError(
      'INVALID_INPUT',
      `--service and --artifact come in pairs: got ${services.length} --service and ${artifacts.length} --artifact`,
      { field: 'artifact' },
    );
  }
  const out: Record<string, string> = {};
  services.forEach((s, i) => {
    if (out[s] !== undefined) throw new SlipwayError('INVALID_INPUT', `service '${s}' is given twice; a release has one artifact per service`, { field: 'service' });
    out[s] = artifacts[i]!;
  });
  return out;
}
