/**
 * An instance's output, bounded twice: the app appends to `<dataDir>/logs/<name>.log`
 * itself (so logging survives a Slipway restart), and Slipway reads what is new into a
 * ring of the last lines, which `logs()` answers from. When the file passes its cap it is
 * truncated in place after its last `fileBytes` are kept in `<name>.log.1` (the app's
 * descriptor is append-only, so it writes on at the new end). Disk use stays near twice the
 * cap: what is kept, plus what was written since the last check. Output written in the
 * instant between the last read and the truncation is lost.
 */
import { appendFileSync, closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface LogLimits {
  /** The log file is rotated when it passes this size. */
  fileBytes: number;
  /** Lines kept in memory for `logs()`. */
  ringLines: number;
}

export const defaultLogLimits: LogLimits = { fileBytes: 1024 * 1024, ringLines: 1000 };

const MAX_LINE = 8 * 1024;
/** At most this much of a file is read at once; a burst larger than that keeps only its end. */
const MAX_READ = 256 * 1024;

export class InstanceLog {
  private readonly ring: string[] = [];
  private partial = '';
  private decoder = new StringDecoder('utf8');
  private offset = 0;

  constructor(
    readonly path: string,
    private readonly limits: LogLimits,
  ) {}

  /** A descriptor for the app's stdout and stderr; the caller closes it once the app has it. */
  async openForApp(): Promise<number> {
    await mkdir(dirname(this.path), { recursive: true });
    return openSync(this.path, 'a');
  }

  /** Slipway's own line in the log (started, exited, restarting), marked as such. */
  note(text: string, now: number): void {
    try {
      appendFileSync(this.path, `[slipway ${new Date(now).toISOString()}] ${text}\n`);
    } catch {
      // The log is for people; failing to write it must not fail the instance.
    }
  }

  /**
   * Reads what the app wrote since the last call, and rotates the file when it passed its
   * cap. Synchronous on purpose: reading to the end and truncating with no turn of the event
   * loop between keeps the window in which output can be lost to a few microseconds.
   */
  sync(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r+');
    } catch {
      return;
    }
    try {
      this.readTo(fd, fstatSync(fd).size);
      if (this.offset > this.limits.fileBytes) this.rotate(fd);
    } catch {
      // As with note(): a log that cannot be read or rotated now is tried again on the next check.
    } finally {
      closeSync(fd);
    }
  }

  tail(lines: number): Promise<string[]> {
    this.sync();
    const all = this.partial === '' ? this.ring : [...this.ring, this.partial];
    return Promise.resolve(lines <= 0 ? [] : all.slice(-lines));
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
    await rm(`${this.path}.1`, { force: true });
  }

  private readTo(fd: number, size: number): void {
    if (size < this.offset) this.offset = 0;
    if (size - this.offset > MAX_READ) this.skipTo(size - MAX_READ);
    const buf = Buffer.alloc(size - this.offset);
    const read = readSync(fd, buf, 0, buf.length, this.offset);
    this.offset += read;
    this.push(this.decoder.write(buf.subarray(0, read)));
  }

  private skipTo(offset: number): void {
    this.offset = offset;
    this.decoder = new StringDecoder('utf8');
    this.partial = '';
    this.pushLine('[slipway: earlier output skipped]');
  }

  private push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!.slice(0, MAX_LINE);
    for (const line of parts) this.pushLine(line);
  }

  private pushLine(line: string): void {
    this.ring.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
    if (this.ring.length > this.limits.ringLines) this.ring.splice(0, this.ring.length - this.limits.ringLines);
  }

  private rotate(fd: number): void {
    const size = fstatSync(fd).size;
    this.readTo(fd, size); // whatever arrived since the read above
    const length = Math.min(size, this.limits.fileBytes);
    const kept = Buffer.alloc(length);
    readSync(fd, kept, 0, length, size - length);
    ftruncateSync(fd, 0);
    this.offset = 0;
    const tmp = `${this.path}.1.tmp`;
    writeFileSync(tmp, kept);
    renameSync(tmp, `${this.path}.1`);
  }
}
