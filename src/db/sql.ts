/**
 * The raw SQL surface the migrator and the seeder use, the same on PostgreSQL (node-postgres) and on embedded
 * PGlite. Prisma does the typed queries of the repositories; bulk loads, locks and migration scripts go around
 * it (Prisma's createMany is 15-30x slower than COPY, ../shared/stack-notes.md).
 */

/** A row as the driver returns it: column name to value. */
export type SqlRow = Record<string, unknown>;

/** Runs SQL on a pool, a session or a transaction. */
export interface SqlRunner {
  /**
   * One statement with `$1`-style parameters; returns its rows.
   * @example const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ratings WHERE user_id = $1', [1]);
   */
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * A script of one or more statements without parameters (simple query protocol).
   * @example await db.exec('CREATE SCHEMA IF NOT EXISTS s; SET search_path TO s');
   */
  exec(sql: string): Promise<void>;
}

/** A transaction on one connection; also streams COPY. */
export interface SqlTransaction extends SqlRunner {
  /**
   * `COPY table (columns) FROM` a payload in PostgreSQL's binary COPY format (see copy.ts); `chunks` together are
   * one complete payload (header, tuples, trailer). Returns the number of rows copied.
   * @example await tx.copyBinary('ratings', ['user_id', 'movie_id'], encodeCopyBinary(columns, 0, n));
   */
  copyBinary(table: string, columns: readonly string[], chunks: Iterable<Uint8Array>): Promise<number>;
}

/** One connection held for a while: session-level state (advisory locks) lives here. */
export interface SqlSession extends SqlRunner {
  /**
   * Runs `fn` in a transaction on this session's connection; commits when it resolves, rolls back when it throws.
   * @example await session.transaction(async (tx) => tx.exec(script));
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

/** Quotes an SQL identifier (table, column, schema name). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** What a LISTEN subscription reports. */
export interface NotificationHandlers {
  /** One notification's payload. */
  notify(payload: string): void;
  /**
   * The listening connection was lost (false) or listens again (true). Notifications sent in between are
   * lost, so a subscriber that caches must distrust what it holds from the loss until it is back.
   */
  listening?(live: boolean): void;
}

/** A LISTEN subscription; `close` stops it (idempotent). */
export interface NotificationSubscription {
  close(): Promise<void>;
}
