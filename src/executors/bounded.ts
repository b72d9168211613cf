/** Keeping only the last bytes of a stream: output tails stay bounded whatever a process or server sends. */

export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes seen in total, kept or not. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.total += buf.length;
    this.chunks.push(buf);
    this.size += buf.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  toString(): string {
    return decodeTail(Buffer.concat(this.chunks), this.limit);
  }
}

/** The last `limit` bytes as text, starting at a character boundary. */
export function decodeTail(buf: Buffer, limit: number): string {
  let start = Math.max(0, buf.length - limit);
  // Skip UTF-8 continuation bytes so the tail does not open with a broken character.
  while (start < buf.length && start > 0 && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}
