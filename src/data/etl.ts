import fs from 'node:fs/promises';
import path from 'node:path';
import { type Logger, silentLogger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';
import type { CatalogEntry } from './catalog.js';
import type { InteractionColumns } from './parquet.js';
import { writeFileAtomic } from './parquet.js';
import {
  RATINGS_WRITE_OPTIONS,
  ratingsArrowTable,
  writeMoviesParquet,
  writeRatingsParquet,
  writeUsersParquet,
} from './parquet-tables.js';
import { createParquetStreamWriter, type ParquetStreamWriter } from './parquet-stream.js';
import type { RatingsTable } from './schema.js';
import type { SkipReport } from './readers/bad-lines.js';
import {
  DEFAULT_INTERACTION_COLUMNS,
  type InputFile,
  locateSourceFiles,
  type RatingsSourceKind,
  readSourceDataset,
  sha256File,
} from './readers/source.js';

/**
 * ETL of one extracted release to Parquet: `ratings.parquet`, `movies.parquet` and (where the release has
 * users) `users.parquet` under one folder, plus `etl.json` recording each input's size, mtime and sha256 and
 * each output's row count. A re-run whose inputs are unchanged does nothing. Everything is parsed before
 * anything is written, so a bad line leaves the folder as it was.
 */

export const ETL_MANIFEST = 'etl.json';
export const ETL_VERSION = 1;
export const OUTPUT_FILES = {
  ratings: 'ratings.parquet',
  movies: 'movies.parquet',
  users: 'users.parquet',
} as const;

export interface EtlManifest {
  version: number;
  dataset: string;
  sourceDir: string;
  ratingsSource: { file: string; kind: RatingsSourceKind };
  interactionColumns: InteractionColumns | null;
  skipBadLines: boolean;
  inputs: InputFile[];
  outputs: {
    ratings: { file: string; rows: number; columns: string[] };
    movies: { file: string; rows: number };
    users: { file: string; rows: number } | null;
  };
  skipped: SkipReport;
  createdAt: string;
}

export interface EtlOptions {
  skipBadLines?: boolean;
  /** Column names when the ratings come from an interactions Parquet file. */
  interactionColumns?: InteractionColumns;
  /** Run even when `etl.json` says the outputs are current. */
  force?: boolean;
  /**
   * Compress ratings.parquet on a worker thread while parsing (default: for ratings files of
   * PARALLEL_WRITE_MIN_BYTES and more).
   */
  parallelWrite?: boolean;
  logger?: Logger;
  onProgress?: ProgressListener;
}

export interface EtlResult {
  dir: string;
  ratings: string;
  movies: string;
  users: string | null;
  manifest: EtlManifest;
  /** true when the outputs were current and nothing ran. */
  reused: boolean;
}

function resultOf(outDir: string, manifest: EtlManifest, reused: boolean): EtlResult {
  return {
    dir: outDir,
    ratings: path.join(outDir, OUTPUT_FILES.ratings),
    movies: path.join(outDir, OUTPUT_FILES.movies),
    users: manifest.outputs.users ? path.join(outDir, OUTPUT_FILES.users) : null,
    manifest,
    reused,
  };
}

/**
 * Runs the ETL of `entry` from `sourceDir` into `outDir`, unless `etl.json` shows the same inputs.
 * @example const { ratings } = await runEtl(CATALOG['ml-100k'], '../shared/movielens/ml-100k', 'data/parquet/ml-100k');
 */
export async function runEtl(
  entry: CatalogEntry,
  sourceDir: string,
  outDir: string,
  options: EtlOptions = {},
): Promise<EtlResult> {
  sourceDir = path.resolve(sourceDir);
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress ?? (() => undefined);
  const phase = `etl ${entry.name}`;
  if (!options.force) {
    const current = await currentManifest(entry, sourceDir, outDir, options);
    if (current) {
      logger.info(`${entry.name}: Parquet is up to date`, { dir: outDir });
      return resultOf(outDir, current, true);
    }
  }
  onProgress({ phase, done: 0, total: 2, unit: 'items', detail: 'reading source files' });
  const ratingsFile = path.join(outDir, OUTPUT_FILES.ratings);
  const outDirExisted = await fs.stat(outDir).then(
    () => true,
    () => false,
  );
  const stream = (await writeInParallel(entry, sourceDir, options))
    ? await createParquetStreamWriter(ratingsFile, RATINGS_WRITE_OPTIONS)
    : null;
  let source;
  try {
    source = await readSourceDataset(entry, sourceDir, {
      ...options,
      ...(stream ? { onRatingsRows: (batch: RatingsTable) => stream.write(ratingsArrowTable(batch)) } : {}),
    });
  } catch (error) {
    await stream?.abort();
    if (!outDirExisted) await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  }
  const { ratings, movies, users } = source.tables;
  onProgress({ phase, done: 1, total: 2, unit: 'items', detail: 'writing Parquet' });

  await fs.mkdir(outDir, { recursive: true });
  // The old manifest goes first: if writing stops half-way, the next run redoes the work.
  await fs.rm(path.join(outDir, ETL_MANIFEST), { force: true });
  await finishRatings(stream, source.ratingsStreamedRows, ratings, ratingsFile, logger);
  await writeMoviesParquet(path.join(outDir, OUTPUT_FILES.movies), movies);
  if (users) await writeUsersParquet(path.join(outDir, OUTPUT_FILES.users), users);
  else await fs.rm(path.join(outDir, OUTPUT_FILES.users), { force: true });

  const manifest: EtlManifest = {
    version: ETL_VERSION,
    dataset: entry.name,
    sourceDir: path.resolve(sourceDir),
    ratingsSource: { file: source.files.ratings, kind: source.files.ratingsKind },
    interactionColumns:
      source.files.ratingsKind === 'interactions'
        ? (options.interactionColumns ?? DEFAULT_INTERACTION_COLUMNS)
        : null,
    skipBadLines: options.skipBadLines ?? false,
    inputs: source.inputs,
    outputs: {
      ratings: {
        file: OUTPUT_FILES.ratings,
        rows: ratings.length,
        columns: [
          'user_id',
          'movie_id',
          ...(ratings.rating ? ['rating'] : []),
          ...(ratings.timestamp ? ['timestamp'] : []),
        ],
      },
      movies: { file: OUTPUT_FILES.movies, rows: movies.length },
      users: users ? { file: OUTPUT_FILES.users, rows: users.length } : null,
    },
    skipped: source.skipped,
    createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(outDir, ETL_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  onProgress({ phase, done: 2, total: 2, unit: 'items', detail: `${ratings.length} ratings` });
  logger.info(`${entry.name}: wrote Parquet`, {
    dir: outDir,
    ratings: ratings.length,
    movies: movies.length,
    users: users?.length ?? null,
    ratingsFrom: path.basename(source.files.ratings),
  });
  return resultOf(outDir, manifest, false);
}

/** Ratings files at least this big are compressed on a second thread while they are parsed. */
export const PARALLEL_WRITE_MIN_BYTES = 32 * 1024 * 1024;

async function writeInParallel(
  entry: CatalogEntry,
  sourceDir: string,
  options: EtlOptions,
): Promise<boolean> {
  if (options.parallelWrite === false) return false;
  const files = await locateSourceFiles(entry, sourceDir);
  if (files.ratingsKind !== 'ratings') return false;
  return options.parallelWrite === true || (await fs.stat(files.ratings)).size >= PARALLEL_WRITE_MIN_BYTES;
}

/** Completes ratings.parquet: the streamed file when it holds exactly the final rows, else a fresh write. */
async function finishRatings(
  stream: ParquetStreamWriter | null,
  streamedRows: number | null,
  ratings: RatingsTable,
  file: string,
  logger: Logger,
): Promise<void> {
  if (stream && streamedRows === ratings.length) {
    try {
      await stream.finish();
      return;
    } catch (error) {
      logger.warn('parallel Parquet writer failed; writing ratings.parquet again on this thread', {
        error: (error as Error).message,
      });
    }
  } else {
    // Duplicates were dropped (--skip-bad-lines) after their rows were streamed.
    await stream?.abort();
  }
  await writeRatingsParquet(file, ratings);
}

/** Reads `etl.json` of a folder, or null when there is none or it is not ours. */
export async function readEtlManifest(outDir: string): Promise<EtlManifest | null> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(outDir, ETL_MANIFEST), 'utf8')) as EtlManifest;
    return manifest.version === ETL_VERSION ? manifest : null;
  } catch {
    return null;
  }
}

/**
 * The manifest when the outputs in `outDir` were made from exactly the inputs `sourceDir` holds now, else
 * null. Size and mtime decide quickly; a file whose mtime moved but whose size did not is hashed, and if its
 * sha256 is unchanged the manifest is refreshed instead of re-running the ETL.
 */
export async function currentManifest(
  entry: CatalogEntry,
  sourceDir: string,
  outDir: string,
  options: Pick<EtlOptions, 'skipBadLines' | 'interactionColumns'> = {},
): Promise<EtlManifest | null> {
  sourceDir = path.resolve(sourceDir);
  const manifest = await readEtlManifest(outDir);
  if (!manifest || manifest.dataset !== entry.name) return null;
  if (manifest.skipBadLines !== (options.skipBadLines ?? false)) return null;
  let files;
  try {
    files = await locateSourceFiles(entry, sourceDir);
  } catch {
    return null;
  }
  if (files.ratingsKind === 'interactions') {
    const wanted = options.interactionColumns ?? DEFAULT_INTERACTION_COLUMNS;
    if (JSON.stringify(manifest.interactionColumns) !== JSON.stringify(wanted)) return null;
  }
  const paths = [files.ratings, files.movies, files.users, files.genres].filter(
    (f): f is string => f !== null,
  );
  if (paths.length !== manifest.inputs.length) return null;
  let refreshed = false;
  const inputs: InputFile[] = [];
  for (const file of paths) {
    const recorded = manifest.inputs.find((i) => i.path === file);
    if (!recorded) return null;
    const stat = await fs.stat(file).catch(() => null);
    if (!stat || stat.size !== recorded.size) return null;
    if (stat.mtimeMs !== recorded.mtimeMs) {
      if ((await sha256File(file)) !== recorded.sha256) return null;
      refreshed = true;
    }
    inputs.push({ ...recorded, mtimeMs: stat.mtimeMs });
  }
  const outputs = [manifest.outputs.ratings, manifest.outputs.movies, manifest.outputs.users];
  for (const output of outputs) {
    if (output && !(await fs.stat(path.join(outDir, output.file)).catch(() => null))) return null;
  }
  if (refreshed) {
    const updated = { ...manifest, inputs };
    await writeFileAtomic(path.join(outDir, ETL_MANIFEST), `${JSON.stringify(updated, null, 2)}\n`);
    return updated;
  }
  return manifest;
}
