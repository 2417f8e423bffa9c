import path from 'node:path';

/**
 * Where the notebooks read and write. The kernel runs in the repository root (scripts/notebooks-kernel.sh),
 * so these resolve from there.
 */

/** The MovieLens copies beside the repository (as the tests and CI use them). */
export const MOVIELENS_DIR = path.resolve('..', 'shared', 'movielens');

/** The notebooks' own data folder (git-ignored): Parquet, artifacts, generated declarations. */
export const NOTEBOOK_DATA_DIR = path.resolve('data', 'notebooks');

/**
 * The dataset of 01_etl, 02_eda and 04_serving: ml-latest-small, whose licence allows redistributing
 * transformations (the committed outputs show its rows, titles and a user's ratings); ml-100k and ml-1m may
 * not be redistributed, so 03_models, which runs on ml-100k, shows only figures and a few titles from it.
 */
export const NOTEBOOK_DATASET = 'ml-latest-small';
