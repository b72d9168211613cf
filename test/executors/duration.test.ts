import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../src/executors/index.js';

describe('Go-style durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['2h45m30s', 9_930_000],
    ['1d', 86_400_000],
    [250, 250],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '10', '5 minutes', '1w', '-5s', 'm', '1h 30m', -1, Number.NaN, null, {}])('rejects %s', (value) => {
    expect(parseDurationMs(value)).toBeUndefined();
  });

  it('formats for messages', () => {
    expect(formatDurationMs(5_400_000)).toBe('1h30m');
    expect(formatDurationMs(1500)).toBe('1.5s');
    expect(formatDurationMs(250)).toBe('250ms');
    expect(formatDurationMs(3_600_000)).toBe('1h');
  });
});
