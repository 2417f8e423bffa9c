import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ConfigError } from '../../core/errors.js';
import {
  quoteIdent,
  type NotificationHandlers,
  type NotificationSubscription,
  type SqlRow,
  type SqlRunner,
  type SqlSession,
  type SqlTransaction,
} from '../sql.js';

/** Where to connect: the URL without Prisma's `schema` parameter, and that schema. */
export interface PostgresTarget {
  connectionString: string;
  schema: string;
}

/**
 * Splits a `DATABASE_URL` into the URL node-postgres understands and the schema named by Prisma's `?schema=`
 * parameter (default `public`), so both tools read the same URL.
 * @example parsePostgresUrl('postgresql://u@h:5432/db?schema=s1') // { connectionString: 'postgresql://u@h:5432/db', schema: 's1' }
 */
export function parsePostgresUrl(databaseUrl: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgresql://user@host:port/database)');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new ConfigError('DATABASE_URL', `protocol '${url.protocol}' is not postgresql:`);
  }
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

/** node-postgres client settings that put `schema` first on the search path of every connection. */
export function clientConfig(target: PostgresTarget): pg.ClientConfig {
  return {
    connectionString: target.connectionString,
    options: `-c search_path=${quoteIdent(target.schema)}`,
  };
}

/** A runner over anything with node-postgres's `query`. */
export function pgRunner(client: pg.Pool | pg.PoolClient | pg.Client): SqlRunner {
  return {
    async query<T extends SqlRow>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await client.query<T>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

function pgTransaction(client: pg.PoolClient | pg.Client): SqlTransaction {
  return {
    ...pgRunner(client),
    async copyBinary(table, columns, chunks) {
      const sql = `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT binary)`;
      const stream = client.query(copyFrom(sql));
      await pipeline(Readable.from(chunks, { objectMode: false }), stream);
      return stream.rowCount;
    },
  };
}

/** Runs `fn` between BEGIN and COMMIT on `client`, rolling back when it throws. */
export async function inPgTransaction<T>(
  client: pg.PoolClient | pg.Client,
  fn: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(pgTransaction(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `fn` on a connection of its own (not from the pool), closed afterwards, so session state such as an
 * advisory lock can never leak into a pooled connection.
 */
export async function withPgSession<T>(
  target: PostgresTarget,
  fn: (session: SqlSession) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(clientConfig(target));
  await client.connect();
  try {
    return await fn({ ...pgRunner(client), transaction: (inner) => inPgTransaction(client, inner) });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `fn` in a transaction on a pooled connection. */
export async function withPgTransaction<T>(
  pool: pg.Pool,
  fn: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await inPgTransaction(client, fn);
  } catch (error) {
    // A connection that failed mid-COPY may be in an unknown protocol state: drop it rather than reuse it.
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Waits between reconnection attempts of a listening connection, doubling up to the last. */
const RELISTEN_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000];

/**
 * LISTENs on `channel` over a connection of its own (a pooled one would be handed to other queries). When the
 * connection drops (server restart, `pg_terminate_backend`, network) it reports `listening(false)`, reconnects
 * with backoff and reports `listening(true)` once it listens again. Resolves once it listens the first time.
 * @example const sub = await listenPg(target, 'recsys_ratings:public', { notify: (p) => console.log(p) });
 */
export async function listenPg(
  target: PostgresTarget,
  channel: string,
  handlers: NotificationHandlers,
): Promise<NotificationSubscription> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client(clientConfig(target));
    next.on('notification', (message) => {
      if (message.channel === channel) handlers.notify(message.payload ?? '');
    });
    // 'error' then 'end' on a lost connection; without an 'error' listener the process would crash.
    next.on('error', () => undefined);
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    next.once('end', () => {
      client = undefined;
      if (closed) return;
      handlers.listening?.(false);
      reconnect(0);
    });
  };

  const reconnect = (attempt: number): void => {
    const delay = RELISTEN_DELAYS_MS[Math.min(attempt, RELISTEN_DELAYS_MS.length - 1)] as number;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => {
          if (!closed) handlers.listening?.(true);
        },
        () => {
          if (!closed) reconnect(attempt + 1);
        },
      );
    }, delay);
    retry.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
