import fs from 'node:fs/promises';
import path from 'node:path';
import { DataFormatError, NotFoundError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/log.js';
import type { CatalogEntry } from '../catalog.js';
import { type InteractionColumns, readInteractionsParquet } from '../parquet.js';
import type { DatasetTables, RatingsTable } from '../schema.js';
import { createBadLineSink, mergeSkipReports, type SkipReport } from './bad-lines.js';
import { removeDuplicatePairs } from './duplicates.js';
import { readChunks } from './lines.js';
import { readGenreNames, readMoviesFile } from './movies.js';
import { type RatingsLayout, readRatingsFile } from './ratings.js';
import { readUsersFile } from './users.js';

/**
 * Reads one extracted MovieLens release (any of the three layouts) into DatasetTables, and says which files
 * it read with their sizes, modification times and sha256, so the ETL can tell when its inputs change.
 */

/** Spark's export of the ml-1m pairs (`../shared/movielens/ml-1m/interactions.parquet`) names them so. */
export const INTERACTIONS_FILE = 'interactions.parquet';
export const DEFAULT_INTERACTION_COLUMNS: InteractionColumns = { user: 'userID', item: 'movieID' };

export type RatingsSourceKind = 'ratings' | 'interactions';

/** The files a release's reader uses, resolved in a folder. */
export interface SourceFiles {
  ratings: string;
  /** 'interactions': a Parquet file of user-movie pairs used because the ratings file is absent. */
  ratingsKind: RatingsSourceKind;
  movies: string;
  users: string | null;
  genres: string | null;
}

export interface InputFile {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface SourceReadResult {
  tables: DatasetTables;
  files: SourceFiles;
  inputs: InputFile[];
  skipped: SkipReport;
  /** Rows handed to `onRatingsRows` (null when it was not called: no callback, or a Parquet input). */
  ratingsStreamedRows: number | null;
}

export interface ReadSourceOptions {
  skipBadLines?: boolean;
  /** Column names of a generic interactions Parquet input (default userID / movieID). */
  interactionColumns?: InteractionColumns;
  /** Receives ratings in batches while a text ratings file is parsed (see ReadRatingsOptions.onRows). */
  onRatingsRows?: (batch: RatingsTable) => void;
  ratingsBatchRows?: number;
  logger?: Logger;
}

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Which files a release's reader will use in `dir`: the ratings file, or `interactions.parquet` beside the
 * movies file when the ratings file is absent (ml-1m in ../shared). NotFoundError names a missing file.
 * @example (await locateSourceFiles(CATALOG['ml-1m'], dir)).ratingsKind // 'interactions' when ratings.dat is absent
 */
export async function locateSourceFiles(entry: CatalogEntry, dir: string): Promise<SourceFiles> {
  const { files } = entry;
  const at = (name: string): string => path.join(dir, name);
  let ratings = at(files.ratings);
  let ratingsKind: RatingsSourceKind = 'ratings';
  if (!(await exists(ratings))) {
    const interactions = at(INTERACTIONS_FILE);
    if (!(await exists(interactions))) {
      throw new NotFoundError(
        `${entry.name} ratings file`,
        `${ratings} (nor ${INTERACTIONS_FILE} beside it)`,
      );
    }
    ratings = interactions;
    ratingsKind = 'interactions';
  }
  const movies = at(files.movies);
  if (!(await exists(movies))) throw new NotFoundError(`${entry.name} movies file`, movies);
  const need = async (name: string | null, what: string): Promise<string | null> => {
    if (name === null) return null;
    if (!(await exists(at(name)))) throw new NotFoundError(`${entry.name} ${what} file`, at(name));
    return at(name);
  };
  return {
    ratings,
    ratingsKind,
    movies,
    users: await need(files.users, 'users'),
    genres: await need(files.genres, 'genre'),
  };
}

/** Size and modification time of each file, for the ETL's quick change check. */
export async function statInputs(paths: string[]): Promise<Omit<InputFile, 'sha256'>[]> {
  return Promise.all(
    paths.map(async (p) => {
      const s = await fs.stat(p);
      return { path: p, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}

/** Hex sha256 of a file, streaming. */
export async function sha256File(file: string): Promise<string> {
  return (await readChunks(file, () => undefined, { hash: true })).sha256 as string;
}

/**
 * Reads a release from its extracted folder. Throws DataFormatError(file, line, reason) at the first bad line
 * unless `skipBadLines`.
 * @example const { tables } = await readSourceDataset(CATALOG['ml-100k'], '../shared/movielens/ml-100k');
 */
export async function readSourceDataset(
  entry: CatalogEntry,
  dir: string,
  options: ReadSourceOptions = {},
): Promise<SourceReadResult> {
  const logger = options.logger ?? silentLogger;
  const files = await locateSourceFiles(entry, dir);
  const stats = await statInputs(
    [files.ratings, files.movies, files.users, files.genres].filter((f): f is string => f !== null),
  );
  const hashes = new Map<string, string>();
  const skip = options.skipBadLines ?? false;
  const reports: SkipReport[] = [];

  let ratings: RatingsTable;
  let streamedRows: number | null = null;
  if (files.ratingsKind === 'interactions') {
    logger.info(
      `${entry.name}: ${entry.files.ratings} not found, reading ${INTERACTIONS_FILE} (pairs only)`,
      {
        file: files.ratings,
      },
    );
    const pairsSink = createBadLineSink(skip);
    const pairs = await readInteractionsParquet(
      files.ratings,
      options.interactionColumns ?? DEFAULT_INTERACTION_COLUMNS,
    );
    if (pairs.length === 0) throw new DataFormatError(files.ratings, 1, 'no ratings: the file has no rows');
    // Parquet has no lines: a fault's "line" is the 1-based row.
    ratings = removeDuplicatePairs(pairs, files.ratings, (row) => row + 1, pairsSink);
    reports.push(pairsSink.report());
    hashes.set(files.ratings, await sha256File(files.ratings));
  } else {
    const layout: RatingsLayout = entry.format === 'ml-100k' ? 'tab' : entry.format;
    const result = await readRatingsFile(files.ratings, {
      layout,
      scale: entry.ratingScale,
      skipBadLines: skip,
      hash: true,
      ...(options.onRatingsRows ? { onRows: options.onRatingsRows } : {}),
      ...(options.ratingsBatchRows !== undefined ? { batchRows: options.ratingsBatchRows } : {}),
    });
    ratings = result.table;
    if (options.onRatingsRows) streamedRows = result.parsedRows;
    reports.push(result.skipped);
    hashes.set(files.ratings, result.sha256 as string);
  }

  const sink = createBadLineSink(skip);
  let genreNames: string[] | undefined;
  if (files.genres !== null) {
    genreNames = await readGenreNames(files.genres, sink);
    hashes.set(files.genres, await sha256File(files.genres));
  }
  const movies = await readMoviesFile(
    files.movies,
    { format: entry.format, encoding: entry.files.moviesEncoding, genreNames, hash: true },
    sink,
  );
  hashes.set(files.movies, movies.sha256 as string);
  let users = null;
  if (files.users !== null && entry.format !== 'csv') {
    const read = await readUsersFile(files.users, entry.format, sink, { hash: true });
    users = read.users;
    hashes.set(files.users, read.sha256 as string);
  }
  reports.push(sink.report());
  const skipped = mergeSkipReports(reports);
  if (skipped.total > 0)
    logger.warn(`${entry.name}: skipped ${skipped.total} bad lines`, { byReason: skipped.byReason });
  return {
    tables: { ratings, movies: movies.movies, users },
    files,
    inputs: stats.map((s) => ({ ...s, sha256: hashes.get(s.path) as string })),
    skipped,
    ratingsStreamedRows: streamedRows,
  };
}
