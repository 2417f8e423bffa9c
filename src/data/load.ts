import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';
import type { DatasetName } from '../core/types.js';
import { CATALOG } from './catalog.js';
import { downloadDataset } from './download.js';
import { runEtl } from './etl.js';
import { readRatingsParquet } from './parquet.js';
import { readMoviesParquet, readUsersParquet } from './parquet-tables.js';
import type { DatasetTables } from './schema.js';

/**
 * The one entry point the rest of the product uses to get a dataset: find (or download) the extracted
 * release, convert it to Parquet once, and read the three tables.
 */

/** Where a dataset's source files come from. */
export interface SourceOptions {
  /** Root of the project's data: downloads go to `<dataDir>/raw/<name>`, Parquet to `<dataDir>/parquet/<name>`. */
  dataDir: string;
  /** A folder of already-extracted files (MOVIELENS_DIR / --from): the release's own folder or one holding it. */
  from?: string;
  onProgress?: ProgressListener;
  /** Download from another base URL than GroupLens (mirrors, tests). */
  baseUrl?: string;
  logger?: Logger;
}

/** The Parquet files of one dataset (users: null when the release has no users file). */
export interface ParquetPaths {
  dir: string;
  ratings: string;
  movies: string;
  users: string | null;
}

/** Where the ETL writes a dataset's Parquet files under a data dir. */
export function parquetDatasetDir(dataDir: string, name: DatasetName): string {
  return path.join(dataDir, 'parquet', name);
}

const isFile = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/** Source options plus the ETL's. */
export interface LoadOptions extends SourceOptions {
  /** Count malformed lines instead of failing on the first. */
  skipBadLines?: boolean;
}

/**
 * The folder holding a release's extracted files. With `from`, that folder itself, or its subfolder named
 * like the release (so MOVIELENS_DIR may point at `../shared/movielens` or at `../shared/movielens/ml-1m`);
 * otherwise the release is downloaded into `<dataDir>/raw/<name>` unless it is already there and complete.
 * @example const dir = await resolveSourceDir('ml-100k', { dataDir: 'data', from: '../shared/movielens' });
 */
export async function resolveSourceDir(name: DatasetName, options: SourceOptions): Promise<string> {
  const entry = CATALOG[name];
  if (options.from !== undefined) {
    const base = path.resolve(options.from);
    const candidates = [...new Set([path.join(base, entry.folder), path.join(base, name), base])];
    for (const dir of candidates) {
      if (await isFile(path.join(dir, entry.files.movies))) return dir;
    }
    const looked = candidates.map((dir) => path.join(dir, entry.files.movies));
    throw new NotFoundError(`${name} source files`, `(looked for ${looked.join(', ')})`);
  }
  return downloadDataset(name, {
    dataDir: options.dataDir,
    ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/**
 * Makes sure `<dataDir>/parquet/<name>` holds Parquet converted from the current source files (running the
 * ETL when they are missing or the inputs changed) and returns their paths.
 * @example const { ratings } = await ensureParquet('ml-1m', { dataDir: 'data', from: '../shared/movielens' });
 */
export async function ensureParquet(name: DatasetName, options: LoadOptions): Promise<ParquetPaths> {
  const sourceDir = await resolveSourceDir(name, options);
  const result = await runEtl(CATALOG[name], sourceDir, parquetDatasetDir(options.dataDir, name), {
    ...(options.skipBadLines !== undefined ? { skipBadLines: options.skipBadLines } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { dir: result.dir, ratings: result.ratings, movies: result.movies, users: result.users };
}

/**
 * A dataset's ratings, movies and users, from Parquet (converted first if needed).
 * @example const { ratings, movies } = await loadDatasetTables('ml-100k', { dataDir: 'data', from: '../shared/movielens' });
 */
export async function loadDatasetTables(name: DatasetName, options: LoadOptions): Promise<DatasetTables> {
  const paths = await ensureParquet(name, options);
  const [ratings, movies, users] = await Promise.all([
    readRatingsParquet(paths.ratings),
    readMoviesParquet(paths.movies),
    paths.users ? readUsersParquet(paths.users) : Promise.resolve(null),
  ]);
  return { ratings, movies, users };
}
