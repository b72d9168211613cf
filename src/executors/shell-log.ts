/**
 * Reading a shell task's log while the command still writes it, for the API's output
 * route (and so the run page and `slipway runs logs --follow`): text from an offset, and
 * the offset to ask from next.
 *
 * Offsets count bytes of the *redacted* log. When the command ends the executor rewrites
 * the log with secret values redacted (shell.ts), which moves every byte after a secret;
 * offsets handed out while it ran were counted in redacted text already, so they stay
 * right in the rewritten file. While the command runs, a chunk ends after its last
 * complete line: redaction works a line at a time, so redacting the log in chunks gives the
 * same text as redacting it whole (a secret value with a newline in it is the exception).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { taskFiles } from './shell-files.js';

export interface LogChunk {
  /** Where `text` starts (the asked offset, or an earlier line start where that fell inside a line or beyond). */
  from: number;
  /** Where to ask next. */
  next: number;
  text: string;
  /** The task has ended and `next` is the end of its log: no more will come. */
  done: boolean;
  /** Whether there is a log (a task that is not a shell task, or has not started, has none). */
  exists: boolean;
}

/** Where one read stopped, in the raw log and in redacted bytes: the next read starts there without a scan. */
interface Position {
  raw: number;
  redacted: number;
  /** The log file's inode: the executor swaps in a redacted copy when the command ends, and raw positions then no longer hold. */
  ino: number;
}

const REMEMBERED = 512;

export class ShellLogReader {
  private readonly positions = new Map<string, Position>();

  constructor(
    private readonly workDir: string,
    private readonly redact: (text: string) => string,
  ) {}

  /** Up to about `limit` bytes from `from`. `ended`: the task has ended, its log is final (and redacted). */
  async read(taskId: string, from: number, limit: number, ended: boolean): Promise<LogChunk> {
    let handle;
    try {
      handle = await open(taskFiles(this.workDir, taskId).log, 'r');
    } catch {
      return { from: 0, next: 0, text: '', done: ended, exists: false };
    }
    try {
      const { size, ino } = await handle.stat();
      if (ended) {
        this.positions.delete(taskId);
        const start = Math.min(from, size);
        const { text, length } = await readText(handle, start, limit, size, true);
        return { from: start, next: start + length, text: this.redact(text), done: start + length >= size, exists: true };
      }
      const at = await this.locate(handle, taskId, from, size, ino);
      const { text: raw, length } = await readText(handle, at.raw, limit, size, false);
      const text = this.redact(raw);
      const next = { raw: at.raw + length, redacted: at.redacted + Buffer.byteLength(text), ino };
      this.remember(taskId, next);
      return { from: at.redacted, next: next.redacted, text, done: false, exists: true };
    } finally {
      await handle.close();
    }
  }

  /** The raw position of redacted offset `from`: remembered from the last read, or found by redacting the log's lines up to it. */
  private async locate(handle: FileHandle, taskId: string, from: number, size: number, ino: number): Promise<Position> {
    const known = this.positions.get(taskId);
    if (known && known.redacted === from && known.ino === ino) return known;
    // Redacting what is redacted already changes nothing, so the scan holds for a swapped-in copy too.
    const at: Position = { raw: 0, redacted: 0, ino };
    if (from === 0) return at;
    const buf = Buffer.alloc(size);
    await handle.read(buf, 0, size, 0);
    for (let start = 0; start < size; ) {
      const newline = buf.indexOf(0x0a, start);
      if (newline < 0) break;
      const redacted = at.redacted + Buffer.byteLength(this.redact(buf.subarray(start, newline + 1).toString('utf8')));
      if (redacted > from) break;
      at.raw = newline + 1;
      at.redacted = redacted;
      start = newline + 1;
    }
    return at;
  }

  private remember(taskId: string, p: Position): void {
    this.positions.delete(taskId);
    this.positions.set(taskId, p);
    if (this.positions.size > REMEMBERED) this.positions.delete(this.positions.keys().next().value!);
  }
}

/**
 * Up to `limit` bytes from `start` as text. Unless the log is final (`ended`) and read to its
 * end, it stops after the last complete line, and never inside a UTF-8 character; a line
 * longer than `limit` goes in pieces rather than never.
 */
async function readText(handle: FileHandle, start: number, limit: number, size: number, ended: boolean): Promise<{ text: string; length: number }> {
  const buf = Buffer.alloc(Math.max(0, Math.min(limit, size - start)));
  const { bytesRead } = await handle.read(buf, 0, buf.length, start);
  let end = bytesRead;
  const toEnd = start + bytesRead >= size;
  if (!(ended && toEnd)) {
    const lastNewline = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (lastNewline >= 0) end = lastNewline + 1;
    else if (toEnd) end = 0; // a line still being written
    else end = characterBoundary(buf, end);
  }
  return { text: buf.subarray(0, end).toString('utf8'), length: end };
}

/** Moves `end` back so a chunk does not stop inside a UTF-8 character. */
function characterBoundary(buf: Buffer, end: number): number {
  let lead = end - 1;
  while (lead > 0 && end - lead < 4 && (buf[lead]! & 0xc0) === 0x80) lead--;
  const b = buf[lead]!;
  if (lead < 0 || b < 0x80) return end;
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  return lead + length <= end ? end : lead;
}
