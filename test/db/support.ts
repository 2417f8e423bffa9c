import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { createDatabase, PGLITE_MEMORY, type Database, type DatabaseKind } from '../../src/db/client.js';

/** The test PostgreSQL server (trust auth), database `test`. */
export const POSTGRES_BASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** Where the real MovieLens files are (CI clones the repository with ../shared beside it). */
export const MOVIELENS_DIR = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/** A schema name no other test run uses. */
export function uniqueSchemaName(prefix = 'test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A DATABASE_URL for `schema` on the test server (Prisma's `?schema=`). */
export function postgresUrl(schema: string): string {
  return `${POSTGRES_BASE_URL}?schema=${schema}`;
}

/** Runs SQL on the test server outside any schema (creating and dropping test schemas). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export interface EngineHandle {
  kind: DatabaseKind;
  /** The open database (valid inside tests, after beforeAll). */
  db(): Database;
  /** DATABASE_URL for child processes (postgres only). */
  url(): string;
}

/**
 * Runs `fn` once per engine: real PostgreSQL in a fresh schema dropped afterwards, and an in-memory PGlite
 * (one instance for the whole describe block: it takes seconds to start).
 */
export function describeEachEngine(name: string, fn: (engine: EngineHandle) => void): void {
  for (const kind of ['postgres', 'pglite'] as const) {
    describe(`${name} [${kind}]`, () => {
      let db: Database | undefined;
      const schema = uniqueSchemaName('db');
      beforeAll(async () => {
        db = await createDatabase(
          kind === 'postgres'
            ? { databaseUrl: postgresUrl(schema), pgliteDir: '' }
            : { pgliteDir: PGLITE_MEMORY },
        );
      });
      afterAll(async () => {
        await db?.close();
        if (kind === 'postgres') await dropSchema(schema);
      });
      fn({
        kind,
        db: () => {
          if (!db) throw new Error('database not open yet (use it inside a test or hook)');
          return db;
        },
        url: () => postgresUrl(schema),
      });
    });
  }
}
