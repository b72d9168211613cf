/**
 * The secrets a Slipway process knows: `SLIPWAY_SECRET_<NAME>` from its environment and
 * the sealed values in its store (set through the API). Stored values are unsealed once
 * at open and on each set; this process is the data directory's only writer, so memory
 * stays what the store holds. Every value is handed to the redactor the moment it is
 * known, so logs and task outcomes lose it before anything writes them.
 */
import type { Logger } from 'pino';
import { SlipwayError } from '../core/index.js';
import { NonRetryableTaskError, type SecretResolver, type TaskWhere } from '../engine/executor.js';
import type { AuditDraft, SecretRow, Store } from '../store/index.js';
import { keyIdOf, seal, unseal } from './cipher.js';
import { ensureKey, findKey, keyFile, keyFileTooOpen, type SecretKey } from './key.js';
import { ENV_PREFIX, KEY_VARIABLE, checkSecretName, environmentSecrets, secretNameProblem } from './names.js';
import { MIN_REDACTED, knownSecrets, type Redactor } from './redactor.js';
import { substitute } from './references.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface SecretInfo {
  name: string;
  source: 'env' | 'store';
  /** Null for environment secrets: the environment has no dates. */
  createdAt: number | null;
  updatedAt: number | null;
  updatedBy: string | null;
  /** Why a stored value cannot be used now (wrong key, damaged), else null. */
  problem: string | null;
}

export interface SecretsOptions {
  store: Store;
  dataDir: string;
  env?: Env;
  now: () => number;
  redactor?: Redactor;
  log?: Logger;
}

interface Stored {
  row: SecretRow;
  value?: string;
  problem?: string;
}

const MAX_VALUE_BYTES = 64 * 1024;

export class Secrets implements SecretResolver {
  private readonly fromEnv: Map<string, string>;
  private readonly stored = new Map<string, Stored>();
  private key: SecretKey | undefined;
  private readonly redactor: Redactor;

  private constructor(private readonly opts: SecretsOptions) {
    this.fromEnv = environmentSecrets(opts.env ?? process.env);
    this.redactor = opts.redactor ?? knownSecrets;
    for (const [name, value] of this.fromEnv) this.redactor.add(name, value);
  }

  static async open(opts: SecretsOptions): Promise<Secrets> {
    const s = new Secrets(opts);
    const rows = await opts.store.listSecrets();
    if (rows.length > 0) {
      s.key = await findKey(opts.dataDir, opts.env ?? process.env);
      if (!s.key) opts.log?.warn({ file: keyFile(opts.dataDir) }, `stored secrets cannot be read: no key (${keyFile(opts.dataDir)} is missing and ${KEY_VARIABLE} is not set)`);
    }
    for (const row of rows) s.remember(row);
    const unreadable = [...s.stored.values()].filter((x) => x.problem).map((x) => x.row.name);
    if (unreadable.length > 0) opts.log?.warn({ secrets: unreadable }, 'some stored secrets cannot be read; tasks that use them fail until they are set again');
    for (const [name, value] of s.fromEnv) s.warnIfShort(name, value);
    if (s.key && s.key.where !== KEY_VARIABLE && (await keyFileTooOpen(opts.dataDir))) {
      opts.log?.warn({ file: s.key.where }, 'the secret key file can be read by other users; chmod 600 it');
    }
    return s;
  }

  /** Names, sources and dates; never values. */
  list(): SecretInfo[] {
    const out: SecretInfo[] = [];
    for (const name of this.fromEnv.keys()) out.push({ name, source: 'env', createdAt: null, updatedAt: null, updatedBy: null, problem: null });
    for (const [name, s] of this.stored) {
      if (this.fromEnv.has(name)) continue;
      out.push({ name, source: 'store', createdAt: s.row.createdAt, updatedAt: s.row.updatedAt, updatedBy: s.row.updatedBy ?? null, problem: s.problem ?? null });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Seals and stores `value` under `name` (the key file is made on first use). */
  /** `audit`: the audit row for the change (told whether it creates the secret), written with it in one transaction. */
  async set(name: string, value: string, by?: string, audit?: (created: boolean) => AuditDraft): Promise<{ info: SecretInfo; created: boolean }> {
    checkSecretName(name);
    if (this.fromEnv.has(name)) {
      throw new SlipwayError('ALREADY_EXISTS', `secret '${name}' comes from ${ENV_PREFIX}${name} in the server's environment; change it there, or unset it to manage the secret here`, { field: 'name' });
    }
    if (value === '') throw new SlipwayError('INVALID_INPUT', `the value of secret '${name}' is empty; send the value as the body`, { field: 'value' });
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      throw new SlipwayError('INVALID_INPUT', `the value of secret '${name}' is larger than ${MAX_VALUE_BYTES} bytes`, { field: 'value' });
    }
    this.redactor.add(name, value);
    this.warnIfShort(name, value);
    this.key ??= await ensureKey(this.opts.dataDir, this.opts.env ?? process.env);
    const now = this.opts.now();
    const before = this.stored.get(name);
    const row: SecretRow = { name, ...seal(this.key.key, name, value), createdAt: before?.row.createdAt ?? now, updatedAt: now, ...(by ? { updatedBy: by } : {}) };
    await this.opts.store.putSecret(row, audit?.(before === undefined));
    this.stored.set(name, { row, value });
    return { info: this.list().find((i) => i.name === name)!, created: before === undefined };
  }

  async delete(name: string, audit?: AuditDraft): Promise<void> {
    if (this.fromEnv.has(name) && !this.stored.has(name)) {
      throw new SlipwayError('ALREADY_EXISTS', `secret '${name}' comes from ${ENV_PREFIX}${name} in the server's environment; unset it there`, { field: 'name' });
    }
    if (!(await this.opts.store.deleteSecret(name, audit)) && !this.stored.has(name)) {
      throw new SlipwayError('UNKNOWN_SECRET', `secret '${name}' is not set; GET /api/v1/secrets (slipway secret list) lists them`, { field: 'name' });
    }
    this.stored.delete(name);
  }

  resolve(properties: Readonly<Record<string, unknown>>, task: TaskWhere): Readonly<Record<string, unknown>> {
    return substitute(properties, ({ name, field }) => {
      const at = `${task.kind} task '${task.name}': properties.${field}`;
      const bad = secretNameProblem(name);
      if (bad) throw new NonRetryableTaskError(`${at}: \${secret:${name}}: ${bad}`);
      const value = this.fromEnv.get(name) ?? this.stored.get(name)?.value;
      if (value !== undefined) return value;
      const problem = this.stored.get(name)?.problem;
      if (problem) throw new NonRetryableTaskError(`${at}: ${problem}`);
      throw new NonRetryableTaskError(
        `${at} refers to secret '${name}', which is not set; set it with \`slipway secret set ${name}\` (value on stdin) or ${ENV_PREFIX}${name} in the server's environment`,
      );
    });
  }

  redact<T>(value: T): T {
    return this.redactor.redactDeep(value);
  }

  private warnIfShort(name: string, value: string): void {
    if (value.length < MIN_REDACTED) this.opts.log?.warn({ secret: name }, `secret ${name} is shorter than ${MIN_REDACTED} characters: it cannot be redacted from logs and task outputs`);
  }

  private remember(row: SecretRow): void {
    if (!this.key) {
      this.stored.set(row.name, { row, problem: `secret '${row.name}' cannot be read: there is no key (${keyFile(this.opts.dataDir)} is missing and ${KEY_VARIABLE} is not set); restore the key or set the secret again` });
      return;
    }
    const got = unseal(this.key.key, row.name, row);
    if ('value' in got) {
      this.redactor.add(row.name, got.value);
      this.stored.set(row.name, { row, value: got.value });
      return;
    }
    const why =
      got.problem === 'wrong-key'
        ? `it was sealed with key ${row.keyId}, but the key in ${this.key.where} is ${keyIdOf(this.key.key)}; restore that key or set the secret again with \`slipway secret set ${row.name}\``
        : `its stored value is damaged; set it again with \`slipway secret set ${row.name}\``;
    this.stored.set(row.name, { row, problem: `secret '${row.name}' cannot be decrypted: ${why}` });
  }
}
