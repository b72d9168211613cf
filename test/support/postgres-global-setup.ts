/**
 * vitest globalSetup: one PostgreSQL for the whole run, so `npm test` alone runs the
 * PostgreSQL half of the suite. SLIPWAY_TEST_PG_URL given from outside (a superuser or a
 * role with CREATEDB) is used as is; otherwise a throwaway cluster is started from Debian's
 * binaries and stopped at the end. Without binaries the PostgreSQL tests skip and say why
 * (once here, and in their titles). Either way a template database is migrated once and
 * each test file clones it (postgres.ts).
 */
import { readdirSync } from 'node:fs';
import { openPostgresStore } from '../../src/store/index.js';
import { postgresBinDir, startCluster, type Cluster } from './postgres-cluster.js';
import { PG_SKIP_ENV, PG_TEMPLATE_ENV, PG_URL_ENV, adminQuery, testDatabasePrefix, withDatabase } from './postgres.js';

/**
 * Whether the files named on the command line (vitest matches them as substrings of test
 * paths) include a PostgreSQL test: `npx vitest run test/core/x.test.ts` then starts no
 * cluster. No path named (the whole suite), or SLIPWAY_TEST_STORE=postgres: it is needed.
 */
function postgresNeeded(): boolean {
  if (process.env['SLIPWAY_TEST_STORE'] === 'postgres') return true;
  const named = process.argv.slice(2).filter((a) => !a.startsWith('-') && (a.includes('/') || a.endsWith('.ts')));
  if (named.length === 0) return true;
  const pgFiles = ['test/store/postgres.test.ts', ...readdirSync('test/e2e').filter((f) => f.startsWith('postgres')).map((f) => `test/e2e/${f}`)];
  // Replicas (several servers on one database) and the lease exist only on PostgreSQL.
  pgFiles.push(...readdirSync('test/store').filter((f) => f.startsWith('postgres-')).map((f) => `test/store/${f}`), ...readdirSync('test/e2e').filter((f) => f.startsWith('replicas')).map((f) => `test/e2e/${f}`));
  return named.some((n) => pgFiles.some((f) => f.includes(n.replace(/^\.\//, ''))));
}

export default async function setup(): Promise<() => Promise<void>> {
  let cluster: Cluster | undefined;
  let url = process.env[PG_URL_ENV];
  if ((url === undefined || url === '') && !postgresNeeded()) {
    process.env[PG_SKIP_ENV] = 'no PostgreSQL test among the files named on the command line, so no cluster was started';
    return async () => undefined;
  }
  if (url === undefined || url === '') {
    const bin = postgresBinDir();
    if (bin === undefined) {
      const reason = 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package postgresql), and SLIPWAY_TEST_PG_URL is not set';
      process.env[PG_SKIP_ENV] = reason;
      process.stderr.write(`\n[postgres] the PostgreSQL half of the suite is skipped: ${reason}\n\n`);
      return async () => undefined;
    }
    try {
      cluster = await startCluster(bin);
    } catch (e) {
      const reason = `a PostgreSQL cluster from ${bin} did not start: ${(e as Error).message.split('\n')[0]}`;
      process.env[PG_SKIP_ENV] = reason;
      process.stderr.write(`\n[postgres] the PostgreSQL half of the suite is skipped: ${reason}\n\n`);
      return async () => undefined;
    }
    url = cluster.url;
    process.env[PG_URL_ENV] = url;
  }
  // One template per run, so runs sharing an outside server do not meet.
  const template = `slipway_template_${process.pid}`;
  try {
    await adminQuery(`drop database if exists ${template}`, url);
    // A linguistic default collation where the server has ICU, as many hosted databases have
    // (en_US): the store must not depend on byte-order defaults (postgres-store.ts useByteOrder).
    await adminQuery(`create database ${template} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US'`, url).catch(() =>
      adminQuery(`create database ${template}`, url),
    );
    const store = await openPostgresStore({ url: withDatabase(url, template) });
    await store.close();
  } catch (e) {
    await cluster?.stop();
    throw e;
  }
  process.env[PG_TEMPLATE_ENV] = template;
  return async () => {
    if (cluster) return cluster.stop();
    // A server of someone else's: drop the template and whatever test databases are left.
    const left = await adminQuery(`select datname from pg_database where datname like '${testDatabasePrefix(template)}%'`, url).catch(() => undefined);
    for (const name of [...(left?.rows ?? []).map((r: { datname: string }) => r.datname), template]) {
      await adminQuery(`drop database if exists ${name} with (force)`, url).catch(() => undefined);
    }
  };
}
