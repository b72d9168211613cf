/**
 * Pieces compressed on their own and joined in any order make one valid gzip stream, whose
 * trailer (CRC-32 and length, combined piece by piece) gunzip accepts.
 */
import fc from 'fast-check';
import { crc32, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crcCombine, crcShift, GzipFraming, gzipPiece } from '../../src/api/gzip-frames.js';

describe('gzip frames', () => {
  it('combines CRC-32s as zlib computes the CRC-32 of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        expect(crcCombine(crc32(a), crc32(b), crcShift(b.length))).toBe(crc32(Buffer.concat([a, b])));
      }),
    );
  });

  it('joins pieces, shared between streams in any order, into streams gunzip reads back whole', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 400 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (texts, picks) => {
        const pieces = texts.map((t) => gzipPiece(t));
        // Two streams sending different selections of the same pieces (as two clients that connected at different times).
        for (const order of [pieces.map((_, i) => i), picks.filter(() => pieces.length > 0).map((p) => p % pieces.length)]) {
          const f = new GzipFraming();
          const wire = Buffer.concat([f.header(), ...order.map((i) => f.add(pieces[i]!)), f.trailer()]);
          expect(gunzipSync(wire).toString('utf8')).toBe(order.map((i) => texts[i]).join(''));
        }
      }),
    );
  });

  it('refuses a stream whose trailer does not count what was sent', () => {
    const f = new GzipFraming();
    const wire = Buffer.concat([f.header(), f.add(gzipPiece('id: 1\n\n')), f.add(gzipPiece('id: 2\n\n'))]);
    const skipped = new GzipFraming();
    skipped.add(gzipPiece('id: 1\n\n'));
    expect(() => gunzipSync(Buffer.concat([wire, skipped.trailer()]))).toThrow();
    expect(gunzipSync(Buffer.concat([wire, f.trailer()])).toString()).toBe('id: 1\n\nid: 2\n\n');
  });
});
