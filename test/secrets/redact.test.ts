import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MIN_REDACTED, Redactor, redactTokenParams, secretLogHooks } from '../../src/secrets/index.js';

function capture(redactor: Redactor) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'debug', hooks: secretLogHooks(redactor) }, sink);
  return { log, text: () => lines.join('') };
}

describe('log redaction', () => {
  it('a logger and its children write no known secret value, in messages, fields or errors', () => {
    const r = new Redactor();
    r.add('API_TOKEN', 'tok-secret-value');
    r.add('QUOTED', 'pa"ss\\word');
    const { log, text } = capture(r);
    const child = log.child({ taskId: 't1' });
    child.info({ env: { A: 'tok-secret-value' }, q: 'pa"ss\\word' }, 'sending tok-secret-value');
    child.warn({ err: new Error('failed with tok-secret-value') }, 'executor failed');
    expect(text()).not.toContain('tok-secret-value');
    expect(text()).not.toContain('pa\\"ss\\\\word');
    expect(text()).toContain('[secret:API_TOKEN]');
    expect(text()).toContain('[secret:QUOTED]');
    for (const line of text().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('a value added after the logger was made is redacted too', () => {
    const r = new Redactor();
    const { log, text } = capture(r);
    r.add('LATE', 'late-secret-1');
    log.info('late-secret-1');
    expect(text()).not.toContain('late-secret-1');
  });

  it('any query parameter named like a token loses its value', () => {
    const { log, text } = capture(new Redactor());
    log.debug({ req: { url: '/api/v1/events/stream?after=3&token=abc123XYZ&x=1' } }, 'incoming request');
    log.debug({ url: 'http://h/p?access_token=zzz999#frag' }, 'other');
    expect(text()).not.toContain('abc123XYZ');
    expect(text()).not.toContain('zzz999');
    expect(text()).toContain('token=[redacted]&x=1');
    expect(redactTokenParams('/a?Token=1&b=2')).toBe('/a?Token=[redacted]&b=2');
    expect(redactTokenParams('/a?b=token')).toBe('/a?b=token');
  });

  it(`values shorter than ${MIN_REDACTED} characters are not redacted (they would blot out ordinary text)`, () => {
    const r = new Redactor();
    r.add('PIN', 'ab1');
    expect(r.redact('ab1 stays')).toBe('ab1 stays');
  });
});
