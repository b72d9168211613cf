import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/spec/index.js';
import { errorOf } from './helpers.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    ['1m30.5s', 90_500],
    ['0', 0],
    ['1500us', 1.5],
  ])('reads the Go-style duration %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', '-1s', '1x', 'm', '1h 30m', '1.1.1s'])('rejects %j, naming the value and the valid forms', (text) => {
    const err = errorOf(() => parseDuration(text));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toContain(`'${text}' is not a duration`);
    expect(err.message).toContain('1h30m');
  });
});
