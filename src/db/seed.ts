import { createHash } from 'node:crypto';
import { AppError, DataFormatError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { silentProgress, type ProgressListener } from '../core/progress.js';
import { genreString, type DatasetTables, type UserRow } from '../data/schema.js';
import type { Database } from './client.js';
import { encodeCopyBinary, type CopyColumn } from './copy.js';
import { quoteIdent, type SqlTransaction } from './sql.js';

/**
 * Loads a dataset's users, movies and ratings into the database with binary COPY, all in one transaction: a
 * seed that dies half-way leaves the tables as they were. A content checksum recorded in `dataset_seeds` makes
 * a second seed of the same data a no-op.
 */

/**
 * Advisory lock (key pair: this and the schema's hash) held while seeding, so two seed jobs on one schema run
 * one after the other (the second finds the work done) while seeds of other schemas do not wait.
 */
export const SEED_LOCK_KEY = 72707370;
const LOCK_ARGS = `${SEED_LOCK_KEY}, hashtext(current_schema())`;

export interface SeedOptions {
  /** Dataset name recorded with the checksum, e.g. 'ml-1m'. */
  dataset: string;
  /** Replace tables that hold other data (another dataset, or rows added since a seed of different content). */
  replace?: boolean;
  onProgress?: ProgressListener;
  logger?: Logger;
  /** Rows per COPY statement (PGlite reads each statement's payload from one in-memory Blob). */
  rowsPerCopy?: number;
}

export interface SeedResult {
  status: 'seeded' | 'unchanged';
  dataset: string;
  checksum: string;
  users: number;
  movies: number;
  ratings: number;
}

/** The tables hold data a seed would overwrite. */
export class SeedConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message, { status: 409 });
  }
}

/**
 * Seeds `db` with `tables` (as the ETL's Parquet files give them). Datasets without a users file get one user
 * row per rating user id with null attributes. Throws SeedConflictError when the tables already hold other
 * data and `replace` is not set.
 * @example const result = await seedDatabase(db, await loadDatasetTables(dir), { dataset: 'ml-100k' });
 */
export async function seedDatabase(
  db: Database,
  tables: DatasetTables,
  options: SeedOptions,
): Promise<SeedResult> {
  const onProgress = options.onProgress ?? silentProgress;
  const logger = options.logger ?? silentLogger;
  const users = tables.users ?? usersFromRatings(tables);
  checkReferences(tables, users);
  const checksum = seedChecksum(tables, users);
  const counts = { users: users.length, movies: tables.movies.length, ratings: tables.ratings.length };
  const phase = `seed ${options.dataset}`;

  return db.session(async (session) => {
    await session.query(`SELECT pg_advisory_lock(${LOCK_ARGS})`);
    try {
      // The check and the load share one transaction: on PGlite (one connection, where the advisory lock
      // cannot keep two seeds of one process apart) nothing can change the tables between them either.
      const status = await session.transaction(async (tx) => {
        const recorded = await tx.query<{ dataset: string; checksum: string }>(
          'SELECT dataset, checksum FROM dataset_seeds',
        );
        if (
          recorded.length === 1 &&
          recorded[0]?.dataset === options.dataset &&
          recorded[0].checksum === checksum
        ) {
          return 'unchanged' as const;
        }
        const [holds] = await tx.query<{ any: boolean }>(
          'SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM movies) OR EXISTS (SELECT 1 FROM dataset_seeds) AS any',
        );
        if (holds?.any && !options.replace) {
          const what =
            recorded.length > 0
              ? `dataset ${recorded.map((r) => r.dataset).join(', ')}`
              : 'rows not from a seed';
          throw new SeedConflictError(
            `the database holds ${what}, which differs from ${options.dataset} (checksum ${checksum.slice(0, 12)}); ` +
              `seeding would replace it and every rating added since: pass --replace to do so`,
          );
        }
        const total = counts.users + counts.movies + counts.ratings;
        let done = 0;
        onProgress({ phase, done, total, unit: 'rows' });
        const progress = (table: string, rows: number) => {
          done += rows;
          logger.debug('copied', { table, rows: done });
          onProgress({ phase, done, total, unit: 'rows' });
        };
        await tx.exec('TRUNCATE ratings, users, movies, dataset_seeds');
        await copyTable(tx, 'users', userColumns(users), counts.users, options.rowsPerCopy, progress);
        await copyTable(tx, 'movies', movieColumns(tables), counts.movies, options.rowsPerCopy, progress);
        await withoutIndexes(tx, 'ratings', logger, () =>
          copyTable(tx, 'ratings', ratingColumns(tables), counts.ratings, options.rowsPerCopy, progress),
        );
        await tx.query(
          'INSERT INTO dataset_seeds (dataset, checksum, users, movies, ratings) VALUES ($1, $2, $3, $4, $5)',
          [options.dataset, checksum, counts.users, counts.movies, counts.ratings],
        );
        return 'seeded' as const;
      });
      logger.info(status === 'unchanged' ? 'database already seeded' : 'database seeded', {
        dataset: options.dataset,
        ...counts,
      });
      return { status, dataset: options.dataset, checksum, ...counts };
    } finally {
      await session.query(`SELECT pg_advisory_unlock(${LOCK_ARGS})`);
    }
  });
}

/**
 * Drops `table`'s indexes and constraints (primary key, foreign keys), runs `load`, and recreates them from
 * their own definitions as read from the catalog. Building an index once over sorted data and checking a
 * foreign key with one join is several times faster than maintaining both row by row during COPY; inside the
 * seed's transaction nobody else sees the table without them.
 */
async function withoutIndexes(
  tx: SqlTransaction,
  table: string,
  logger: Logger,
  load: () => Promise<void>,
): Promise<void> {
  const constraints = await tx.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = $1::regclass AND contype IN ('p', 'f', 'u') ORDER BY contype = 'f', conname`,
    [table],
  );
  const indexes = await tx.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY 1`,
    [table],
  );
  for (const c of [...constraints].reverse())
    await tx.exec(`ALTER TABLE ${quoteIdent(table)} DROP CONSTRAINT ${quoteIdent(c.name)}`);
  for (const i of indexes) await tx.exec(`DROP INDEX ${quoteIdent(i.name)}`);
  await load();
  const started = Date.now();
  for (const c of constraints)
    await tx.exec(`ALTER TABLE ${quoteIdent(table)} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`);
  for (const i of indexes) await tx.exec(i.def);
  logger.debug('rebuilt indexes and constraints', { table, ms: Date.now() - started });
}

type NamedColumns = { names: string[]; columns: CopyColumn[] };

async function copyTable(
  tx: SqlTransaction,
  table: string,
  { names, columns }: NamedColumns,
  rows: number,
  rowsPerCopy: number | undefined,
  progress: (table: string, rows: number) => void,
): Promise<void> {
  const batch = Math.max(1, rowsPerCopy ?? 1_000_000);
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    const chunkRows = Math.min(65_536, batch);
    let reported = start;
    // Report each chunk as the copy stream pulls it, so the bar moves during one long COPY.
    const chunks = (function* () {
      let at = start;
      for (const chunk of encodeCopyBinary(columns, start, end, chunkRows)) {
        yield chunk;
        const next = Math.min(end, at + chunkRows);
        progress(table, next - reported);
        reported = next;
        at = next;
      }
    })();
    const copied = await tx.copyBinary(table, names, chunks);
    if (copied !== end - start)
      throw new Error(`COPY ${table} stored ${copied} rows, expected ${end - start}`);
  }
}

function userColumns(users: readonly UserRow[]): NamedColumns {
  return {
    names: ['id', 'gender', 'age', 'occupation', 'zip'],
    columns: [
      { type: 'int4', values: users.map((u) => u.userId) },
      { type: 'text', values: users.map((u) => u.gender) },
      { type: 'int4', values: users.map((u) => u.age) },
      { type: 'text', values: users.map((u) => u.occupation) },
      { type: 'text', values: users.map((u) => u.zip) },
    ],
  };
}

function movieColumns(tables: DatasetTables): NamedColumns {
  return {
    names: ['id', 'title', 'year', 'genres'],
    columns: [
      { type: 'int4', values: tables.movies.map((m) => m.movieId) },
      { type: 'text', values: tables.movies.map((m) => m.title) },
      { type: 'int4', values: tables.movies.map((m) => m.year) },
      { type: 'text', values: tables.movies.map(genreString) },
    ],
  };
}

function ratingColumns({ ratings }: DatasetTables): NamedColumns {
  return {
    names: ['user_id', 'movie_id', 'rating', 'rated_at'],
    columns: [
      { type: 'int4', values: ratings.userId },
      { type: 'int4', values: ratings.movieId },
      { type: 'float4', values: ratings.rating },
      { type: 'timestamptz', seconds: ratings.timestamp },
    ],
  };
}

/** One user row per distinct rating user id, attributes null (datasets without a users file). */
export function usersFromRatings(tables: DatasetTables): UserRow[] {
  const ids = [...new Set(tables.ratings.userId)].sort((a, b) => a - b);
  return ids.map((userId) => ({ userId, gender: null, age: null, occupation: null, zip: null }));
}

// A rating naming an unknown user or movie would fail the COPY with a foreign-key error that names no row;
// checking first gives an error that says which id, before anything is written.
function checkReferences(tables: DatasetTables, users: readonly UserRow[]): void {
  const userIds = new Set(users.map((u) => u.userId));
  const movieIds = new Set(tables.movies.map((m) => m.movieId));
  const { userId, movieId } = tables.ratings;
  for (let i = 0; i < tables.ratings.length; i++) {
    const u = userId[i] as number;
    const m = movieId[i] as number;
    if (!userIds.has(u)) throw new DataFormatError('ratings', i + 1, `user ${u} is not in the users table`);
    if (!movieIds.has(m))
      throw new DataFormatError('ratings', i + 1, `movie ${m} is not in the movies table`);
  }
}

/**
 * A sha256 over everything a seed writes (users, movies, ratings), independent of file bytes, so a re-run ETL
 * that produces the same rows is still recognised as seeded.
 */
export function seedChecksum(tables: DatasetTables, users: readonly UserRow[]): string {
  const hash = createHash('sha256');
  hash.update('recsys-seed/1\n');
  for (const u of users) hash.update(`u${u.userId}\t${u.gender}\t${u.age}\t${u.occupation}\t${u.zip}\n`);
  for (const m of tables.movies) hash.update(`m${m.movieId}\t${m.title}\t${m.year}\t${genreString(m)}\n`);
  const r = tables.ratings;
  // Only the first `length` rows count: a table's arrays may be longer than the table.
  const bytes = (a: Int32Array | Float32Array | Float64Array | null) => {
    if (a === null) return new Uint8Array(0);
    const rows = a.subarray(0, r.length);
    return new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  };
  hash.update(`r${r.length}\t${r.rating !== null}\t${r.timestamp !== null}\n`);
  hash.update(bytes(r.userId));
  hash.update(bytes(r.movieId));
  hash.update(bytes(r.rating));
  hash.update(bytes(r.timestamp));
  return hash.digest('hex');
}
