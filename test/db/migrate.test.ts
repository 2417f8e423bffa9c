import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  listMigrations,
  migrate,
  migrationChecksum,
  readMigrationRecords,
} from '../../src/db/migrate.js';
import { scriptMatchesChecksum } from '../../src/db/migrations.js';
import { adminQuery, describeEachEngine, dropSchema, postgresUrl, uniqueSchemaName } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('migration checksum', () => {
  it('is the sha256sum of migration.sql, as Prisma records it', async () => {
    const [first] = await listMigrations();
    expect(first).toBeDefined();
    const file = path.join(DEFAULT_MIGRATIONS_DIR, first!.name, 'migration.sql');
    const reference = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(first!.checksum).toBe(reference);
    expect(migrationChecksum(await fs.readFile(file))).toBe(reference);
  });

  it("matches the vector from Prisma's own checksum tests", () => {
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
  });

  it('accepts a script whose line endings git rewrote, and nothing else', () => {
    const lf = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n';
    const crlf = lf.replaceAll('\n', '\r\n');
    expect(scriptMatchesChecksum(crlf, migrationChecksum(lf))).toBe(true);
    expect(scriptMatchesChecksum(lf, migrationChecksum(crlf))).toBe(true);
    expect(scriptMatchesChecksum(`${lf} `, migrationChecksum(lf))).toBe(false);
  });
});

/** A copy of prisma/migrations in a temp folder that a test may change. */
async function copyMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-migrations-'));
  await fs.cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describeEachEngine('migrate', (engine) => {
  const temps: string[] = [];
  const tempCopy = async () => {
    const dir = await copyMigrations();
    temps.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
  });

  it('applies the migrations and records them as prisma migrate deploy does', async () => {
    const db = engine.db();
    const files = await listMigrations();
    const before = Date.now();
    const result = await migrate(db);
    expect(result).toEqual({ applied: files.map((f) => f.name), skipped: [] });

    const columns = await db.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
      [db.schema],
    );
    // Prisma's DDL (prisma-engines, postgres flavour: create_migrations_table).
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        character_maximum_length: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        character_maximum_length: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        character_maximum_length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);

    const records = await readMigrationRecords(db);
    expect(records.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, record] of records.entries()) {
      const file = path.join(DEFAULT_MIGRATIONS_DIR, record.migration_name, 'migration.sql');
      expect(record.id).toMatch(UUID);
      expect(record.checksum).toBe(execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]);
      expect(record.checksum).toBe(files[i]!.checksum);
      expect(record.logs).toBeNull();
      expect(record.rolled_back_at).toBeNull();
      expect(record.applied_steps_count).toBe(1);
      expect(record.started_at.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(record.finished_at!.getTime()).toBeGreaterThanOrEqual(record.started_at.getTime());
    }
    const tables = await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [db.schema],
    );
    expect(tables.map((t) => t.name)).toEqual([
      '_prisma_migrations',
      'dataset_seeds',
      'movies',
      'ratings',
      'users',
    ]);
  });

  it('is a no-op the second time', async () => {
    const db = engine.db();
    const before = await readMigrationRecords(db);
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
    expect(result.skipped).toEqual(before.map((r) => r.migration_name));
    expect(await readMigrationRecords(db)).toEqual(before);
  });

  it('accepts migration files whose line endings were converted to CRLF', async () => {
    const dir = await tempCopy();
    for (const { name } of await listMigrations(dir)) {
      const file = path.join(dir, name, 'migration.sql');
      await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    }
    expect((await migrate(engine.db(), { migrationsDir: dir })).applied).toEqual([]);
  });

  it('refuses a migration modified after it was applied', async () => {
    const db = engine.db();
    const dir = await tempCopy();
    const [first] = await listMigrations(dir);
    await fs.appendFile(path.join(dir, first!.name, 'migration.sql'), '\n-- changed later\n');
    const before = await readMigrationRecords(db);
    await expect(migrate(db, { migrationsDir: dir })).rejects.toThrow(/was modified after it was applied/);
    await expect(migrate(db, { migrationsDir: dir })).rejects.toBeInstanceOf(MigrationError);
    expect(await readMigrationRecords(db)).toEqual(before);
  });

  it('rolls a failing migration back, records it as failed, and refuses to go on until it is resolved', async () => {
    const db = engine.db();
    const dir = await tempCopy();
    const bad = path.join(dir, '29991231000000_broken');
    await fs.mkdir(bad);
    await fs.writeFile(
      path.join(bad, 'migration.sql'),
      'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n',
    );
    await expect(migrate(db, { migrationsDir: dir })).rejects.toThrow(
      /29991231000000_broken' failed and was rolled back/,
    );
    const [exists] = await db.query<{ ok: boolean }>(`SELECT to_regclass('half_done') IS NOT NULL AS ok`);
    expect(exists?.ok).toBe(false);
    const failed = (await readMigrationRecords(db)).find((r) => r.migration_name === '29991231000000_broken');
    expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(failed?.logs).toMatch(/no_such_table/);

    // Prisma's rule: a failed migration blocks every later migrate, whatever the folder holds.
    await expect(migrate(db)).rejects.toThrow(/found failed migrations.*29991231000000_broken/);

    // `prisma migrate resolve --rolled-back` sets rolled_back_at; then a fixed script applies.
    await db.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = $1`, [failed!.id]);
    await fs.writeFile(path.join(bad, 'migration.sql'), 'CREATE TABLE half_done (id INTEGER);\n');
    expect((await migrate(db, { migrationsDir: dir })).applied).toEqual(['29991231000000_broken']);
    const rows = (await readMigrationRecords(db)).filter((r) => r.migration_name === '29991231000000_broken');
    expect(rows.map((r) => [r.rolled_back_at === null, r.finished_at === null])).toEqual([
      [false, true],
      [true, false],
    ]);
    await db.exec('DROP TABLE half_done');
  });
});

describe('migrate [postgres] on a schema that already holds tables', () => {
  const schema = uniqueSchemaName('nonempty');
  beforeAll(() => adminQuery(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".legacy (id int)`));
  afterAll(() => dropSchema(schema));

  it('refuses to start a history there, as Prisma does (P3005)', async () => {
    const db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
    try {
      await expect(migrate(db)).rejects.toThrow(/is not empty \(legacy\)/);
      expect(await readMigrationRecords(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
