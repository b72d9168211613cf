/**
 * Following a shell task's log: offsets count redacted bytes, so they stay right when the
 * executor swaps in the redacted log at the end; only whole lines go out while it runs;
 * a line longer than a chunk goes in pieces that never split a character.
 */
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShellLogReader, shellTaskFiles } from '../../src/executors/index.js';

const SECRET = 'hunter2-very-secret-value';
const redact = (t: string) => t.split(SECRET).join('[secret:S]');
const ID = 'run-1.smoke.1';

describe('ShellLogReader', () => {
  let dir: string;
  let log: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-log-'));
    log = shellTaskFiles(dir, ID).log;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hands out whole lines, redacted, and the rest after the redacted log is swapped in, without a gap or a repeat', async () => {
    const reader = new ShellLogReader(dir, redact);
    await writeFile(log, `token ${SECRET}\nhalf`);
    const a = await reader.read(ID, 0, 1024, false);
    expect(a).toMatchObject({ from: 0, text: 'token [secret:S]\n', done: false, exists: true });
    await appendFile(log, ` done\nsecret again ${SECRET}\nend`);
    // The command ended: the executor writes the redacted log as a new file.
    const raw = `token ${SECRET}\nhalf done\nsecret again ${SECRET}\nend`;
    await writeFile(`${log}.tmp`, redact(raw));
    await rename(`${log}.tmp`, log);
    const b = await reader.read(ID, a.next, 1024, true);
    expect(b).toMatchObject({ from: a.next, text: 'half done\nsecret again [secret:S]\nend', done: true });
    expect(a.text + b.text).toBe(redact(raw));
  });

  it('finds a redacted offset it did not hand out itself by redacting the lines before it', async () => {
    await writeFile(log, `${SECRET}\nsecond\nthird\n`);
    const first = await new ShellLogReader(dir, redact).read(ID, 0, 1024, false);
    const offset = Buffer.byteLength('[secret:S]\n');
    const fresh = await new ShellLogReader(dir, redact).read(ID, offset, 1024, false);
    expect(fresh).toMatchObject({ from: offset, text: 'second\nthird\n', next: first.next });
  });

  it('splits a line longer than the limit between characters, and has nothing while the only line is unfinished', async () => {
    const reader = new ShellLogReader(dir, redact);
    await writeFile(log, 'ééééé');
    expect((await reader.read(ID, 0, 1024, false)).text).toBe('');
    const piece = await reader.read(ID, 0, 5, false);
    expect(piece.text).toBe('éé');
    expect((await reader.read(ID, piece.next, 5, false)).text).toBe('éé');
  });

  it('says there is no log for a task that never wrote one', async () => {
    expect(await new ShellLogReader(dir, redact).read('run-1.deploy.1', 0, 1024, true)).toEqual({ from: 0, next: 0, text: '', done: true, exists: false });
  });
});
