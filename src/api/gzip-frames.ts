/**
 * A gzip stream (RFC 1952) built from pieces compressed once and shared by many streams.
 *
 * Each piece is compressed on its own (a fresh raw DEFLATE that ends with a full flush, never
 * the final block), so its bytes refer to nothing before it: any sequence of pieces after the
 * 10-byte header is a valid DEFLATE stream. 200 dashboards following every event then share
 * one compression per batch, and the server writes about a tenth of the bytes to each socket.
 *
 * What is per stream is the trailer: the CRC-32 and length of everything that stream was sent.
 * Each piece carries its own CRC-32 and the operator that shifts a CRC past its length, so a
 * stream adds a piece in one small multiplication (zlib's crc32_combine, which Node does not
 * expose; the arithmetic follows zlib's crc32.c), however large the piece.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** The reflected CRC-32 polynomial (the one gzip and zlib use). */
const POLY = 0xedb88320;

/** a · b modulo the CRC polynomial, both as reflected 32-bit polynomials (zlib's multmodp). */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31 (zlib's x2n_table). */
const X2N: number[] = (() => {
  const t = [0x40000000]; // x^1
  for (let k = 1; k < 32; k++) t.push(multmodp(t[k - 1]!, t[k - 1]!));
  return t;
})();

/** The operator that moves a CRC past `bytes` bytes of zeros: x^(8·bytes) modulo the polynomial (zlib's x2nmodp(bytes, 3)). */
export function crcShift(bytes: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multmodp(X2N[k & 31]!, p);
  return p;
}

/** The CRC-32 of A followed by B, from crc(A), crc(B) and crcShift(length of B). */
export function crcCombine(crcA: number, crcB: number, shiftB: number): number {
  return (multmodp(shiftB, crcA) ^ crcB) >>> 0;
}

/** Some text compressed on its own, with what a stream needs to account for it. */
export interface GzipPiece {
  /** Raw DEFLATE blocks ending in a full flush (byte-aligned, no final block). */
  readonly bytes: Buffer;
  readonly crc: number;
  readonly length: number;
  readonly shift: number;
}

export function gzipPiece(plain: Buffer | string): GzipPiece {
  const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  return { bytes: deflateRawSync(data, { finishFlush: constants.Z_FULL_FLUSH }), crc: crc32(data), length: data.length, shift: crcShift(data.length) };
}

/** gzip's header: deflate, no flags, no time, unknown OS. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final block with fixed codes (3 bits, padded to a byte): what ends the DEFLATE data. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** One stream's gzip framing: the header first, then pieces, then (for a clean end) the trailer. */
export class GzipFraming {
  private crc = 0;
  private length = 0;

  header(): Buffer {
    return HEADER;
  }

  /** Counts a piece as sent; returns its bytes. */
  add(piece: GzipPiece): Buffer {
    this.crc = crcCombine(this.crc, piece.crc, piece.shift);
    this.length = (this.length + piece.length) % 0x1_0000_0000;
    return piece.bytes;
  }

  /** The final block and the trailer (CRC-32 and length mod 2^32 of everything added). */
  trailer(): Buffer {
    const t = Buffer.alloc(FINAL_BLOCK.length + 8);
    FINAL_BLOCK.copy(t);
    t.writeUInt32LE(this.crc, FINAL_BLOCK.length);
    t.writeUInt32LE(this.length, FINAL_BLOCK.length + 4);
    return t;
  }
}
