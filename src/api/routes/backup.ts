/**
 * `POST /api/v1/system/backup` (admin): a consistent copy of the store, streamed as the
 * answer while the server keeps working. The copy is made in the data directory first (the
 * online backup and pg_dump need a file) and removed once sent, or once the client goes away.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { recordAudit } from '../../audit/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

export function backupRoutes(app: Api, slipway: Slipway): void {
  const { store } = slipway;

  app.post('/api/v1/system/backup', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Back up the store: the answer is the backup file that `slipway restore` puts back (SQLite: a database file; PostgreSQL: a pg_dump custom-format file)',
      body: z.object({}).optional().describe('nothing'),
      response: { 200: z.unknown().describe('the backup file (application/vnd.sqlite3, or application/octet-stream for a pg_dump); x-slipway-backup-format names which'), ...errors },
    },
    handler: async (req, reply) => {
      if (!store.backup) throw new SlipwayError('NOT_SUPPORTED', "this server's store cannot make backups itself; use the database's own backup tool");
      const file = join(slipway.dataDir, `backup-${randomUUID()}.db`);
      const info = await store.backup(file);
      await recordAudit(store, { actor: by(req.identity), action: 'system.backup', details: { bytes: info.bytes, format: info.format } });
      const stream = createReadStream(file);
      const drop = () => rmSync(file, { force: true });
      stream.once('close', drop);
      reply.raw.once('close', drop);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .type(info.format === 'sqlite' ? 'application/vnd.sqlite3' : 'application/octet-stream')
        .header('content-length', String(info.bytes))
        .header('content-disposition', `attachment; filename="slipway-${stamp}.${info.format}"`)
        .header('x-slipway-backup-format', info.format)
        .send(stream);
    },
  });
}
