import type { Logger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';
import type { DatasetTables } from '../data/schema.js';
import { createDatabase } from '../db/client.js';
import { readTrainingTables } from '../db/training-data.js';
import { loadDatasetTablesAt } from '../storage/data-location.js';
import type { Config } from '../config.js';
import { dataLocation } from './store.js';

/** Where `recsys train` reads its data: the MovieLens files (via Parquet) or the database. */
export const TRAIN_SOURCES = ['files', 'db'] as const;
export type TrainSource = (typeof TRAIN_SOURCES)[number];

/**
 * The tables a training run fits on. `files`: the dataset's release through the ETL's Parquet (as before);
 * `db`: every user, movie and rating in the database (DATABASE_URL, or the PGlite directory), so ratings
 * posted through the API reach the next model.
 * @example const tables = await loadTrainingTables(config, 'db', { onProgress, logger });
 */
export async function loadTrainingTables(
  config: Config,
  source: TrainSource,
  options: { onProgress: ProgressListener; logger: Logger },
): Promise<DatasetTables> {
  if (source === 'files') {
    // Paths or gs:// URIs (a gs:// data dir without MOVIELENS_DIR: the Parquet the ETL job left there).
    return loadDatasetTablesAt(config.dataset, {
      ...dataLocation(config),
      onProgress: options.onProgress,
      logger: options.logger,
    });
  }
  // loadConfig always fills pgliteDir (default <data dir>/pglite).
  const db = await createDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir as string });
  try {
    const started = performance.now();
    const tables = await readTrainingTables(db, { onProgress: options.onProgress });
    options.logger.info('training data read from the database', {
      ratings: tables.ratings.length,
      movies: tables.movies.length,
      seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    });
    return tables;
  } finally {
    await db.close();
  }
}
