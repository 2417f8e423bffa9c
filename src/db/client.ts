import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openPglite, pgliteRunner, withPgliteTransaction } from './engines/pglite.js';
import {
  clientConfig,
  listenPg,
  parsePostgresUrl,
  pgRunner,
  withPgSession,
  withPgTransaction,
} from './engines/postgres.js';
import { PrismaClient } from './generated/client.js';
import {
  quoteIdent,
  type NotificationHandlers,
  type NotificationSubscription,
  type SqlRunner,
  type SqlSession,
  type SqlTransaction,
} from './sql.js';

export { PGLITE_MEMORY } from './engines/pglite.js';
export type { PrismaClient } from './generated/client.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseConfig {
  /** PostgreSQL URL (Prisma's `?schema=` honoured); unset means the embedded PGlite database. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, or `memory://` for a throw-away in-memory database (tests). */
  pgliteDir: string;
}

/**
 * The database of one process: a Prisma client for typed queries, raw SQL for bulk work, and `close`.
 * Raw `query`/`exec` run on the pool (autocommit).
 */
export interface Database extends SqlRunner {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  /** The schema the tables live in (`public` unless the URL names another). */
  readonly schema: string;
  /**
   * Runs `fn` in one transaction (commit on success, rollback on throw).
   * @example await db.transaction(async (tx) => tx.exec('TRUNCATE ratings'));
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one dedicated connection, closed afterwards (advisory locks, several transactions in a row).
   * @example await db.session(async (s) => s.query('SELECT pg_advisory_lock(1)'));
   */
  session<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * LISTENs on a notification channel (on PostgreSQL over a connection of its own, re-established when lost).
   * @example const sub = await db.listen('recsys_ratings:public', { notify: (payload) => seen.push(payload) });
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<NotificationSubscription>;
  /** Disconnects Prisma and closes the pool or releases the PGlite instance. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the database the configuration names: PostgreSQL through `@prisma/adapter-pg` when `databaseUrl` is
 * set, otherwise embedded PGlite under `pgliteDir` through `pglite-prisma-adapter` (one PGlite instance per
 * directory per process, shared). The schema is not migrated here: call `migrate(db)`.
 * @example
 * const db = await createDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
 * const movie = await db.prisma.movie.findUnique({ where: { id: 1 } });
 * await db.close();
 */
export async function createDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openPgliteDatabase(config.pgliteDir);
}

async function openPostgres(databaseUrl: string): Promise<Database> {
  const target = parsePostgresUrl(databaseUrl);
  const pool = new pg.Pool({ ...clientConfig(target), max: 10 });
  // An idle client that loses its server emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    prisma,
    schema: target.schema,
    ...pgRunner(pool),
    transaction: (fn) => withPgTransaction(pool, fn),
    session: (fn) => withPgSession(target, fn),
    listen: (channel, handlers) => listenPg(target, channel, handlers),
    close: () => (closed ??= prisma.$disconnect().then(() => pool.end())),
  };
}

async function openPgliteDatabase(dir: string): Promise<Database> {
  const { pglite, release } = await openPglite(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const runner = pgliteRunner(pglite);
  const transaction = <T>(fn: (tx: SqlTransaction) => Promise<T>) => withPgliteTransaction(pglite, fn);
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    prisma,
    schema: 'public',
    ...runner,
    transaction,
    // PGlite is a single connection: a session is the instance itself.
    session: (fn) => fn({ ...runner, transaction }),
    async listen(channel, handlers) {
      // PGlite pastes the channel into LISTEN/UNLISTEN as SQL text: quoted, so any name works. (The function
      // listen() returns unlistens with the unquoted name, a syntax error for names like ours.)
      const quoted = quoteIdent(channel);
      await pglite.listen(quoted, handlers.notify);
      let stopped: Promise<void> | undefined;
      // Once the instance is closed its listeners are gone with it: nothing to undo (and unlisten would throw).
      const unlisten = (): Promise<void> =>
        pglite.closed ? Promise.resolve() : pglite.unlisten(quoted, handlers.notify);
      return { close: () => (stopped ??= unlisten()) };
    },
    close: () => (closed ??= prisma.$disconnect().then(release)),
  };
}
