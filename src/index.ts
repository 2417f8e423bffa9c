/**
 * The project's public surface: what notebooks (notebooks-ts/) and other programs import. Internal code
 * imports leaf modules, never this file. Grouped by layer, bottom up; every name here is documented (with an
 * example) where it is defined.
 * @example import { loadDatasetTables, computeDatasetStats } from '../src/index.js';
 */

// core: domain types, errors, logging
export {
  MODEL_KINDS,
  DATASET_NAMES,
  topKRow,
  type ModelKind,
  type DatasetName,
  type TopK,
} from './core/types.js';
export { AppError, DataFormatError, NotFoundError, ValidationError } from './core/errors.js';
export { createLogger, silentLogger, type Logger } from './core/log.js';
export type { ProgressListener } from './core/progress.js';

// data: releases, ETL to Parquet, tables, statistics
export { CATALOG, catalogEntry } from './data/catalog.js';
export { runEtl, readEtlManifest, type EtlManifest, type EtlResult } from './data/etl.js';
export {
  ensureParquet,
  loadDatasetTables,
  parquetDatasetDir,
  resolveSourceDir,
  type LoadOptions,
  type ParquetPaths,
} from './data/load.js';
export { readParquetFile, readRatingsParquet } from './data/parquet.js';
export { readMoviesParquet, readUsersParquet } from './data/parquet-tables.js';
export {
  genreString,
  MOVIES_COLUMNS,
  RATINGS_COLUMNS,
  USERS_COLUMNS,
  type DatasetTables,
  type MovieRow,
  type RatingsTable,
  type UserRow,
} from './data/schema.js';
export {
  computeDatasetStats,
  countsPerId,
  formatStatsTable,
  quantile,
  type ActivityQuantiles,
  type DatasetStats,
} from './data/stats.js';

// dataset: interactions, encoders, splits
export { interactionsFromRatings, countPerItem, countPerUser } from './dataset/interactions.js';
export { SEED_PROTOCOL, splitInteractions, type Split, type SplitSpec } from './dataset/splits.js';
export type { CsrMatrix, IdEncoder, Interactions, TrainingMatrix } from './dataset/types.js';

// tf: backend choice
export { currentBackend, initBackend, type BackendName } from './tf/backend.js';

// models: the registry (every model is reached through it)
export { getModelFactory, parseModelList, REGISTERED_KINDS } from './models/registry.js';
export type { EpochReport, ModelFactory, Recommender, UserHistory } from './models/types.js';

// eval: metrics, evaluator, protocols, experiments, tuning
export { RANKING_METRIC_NAMES, type RankingMetricName } from './eval/metrics.js';
export {
  DEFAULT_POSITIVE_THRESHOLD,
  evaluateRecommender,
  prepareEvaluation,
  type EvaluationResult,
  type PreparedEvaluation,
} from './eval/evaluator.js';
export {
  fitAndEvaluate,
  fitFallback,
  modelReport,
  runExperiment,
  type ExperimentReport,
  type ModelReport,
} from './eval/experiment.js';
export { PROTOCOL_NAMES, splitForProtocol, type ProtocolName } from './eval/protocol.js';

// storage and artifacts
export { createStore } from './storage/store.js';
export type { ArtifactStore } from './storage/types.js';
export { loadArtifact, type LoadedArtifact } from './artifacts/load.js';
export { listArtifacts } from './artifacts/list.js';
export { promoteArtifact, readCurrentPointer } from './artifacts/pointer.js';
export { saveArtifact } from './artifacts/save.js';
export type { ArtifactManifest } from './artifacts/format.js';

// training
export { trainOnDataset, type TrainedModel } from './training/train.js';
export { trainToArtifact, type TrainToArtifactResult } from './training/pipeline.js';

// database and serving (the API's own wiring)
export { createDatabase, PGLITE_MEMORY, type Database } from './db/client.js';
export { migrate } from './db/migrate.js';
export { seedDatabase } from './db/seed.js';
export { servingDataFromDatabase } from './serving/data-source.js';
export { artifactModelSource } from './serving/model-source.js';
export { createRecommendationService, type RecommendationService } from './serving/service.js';
export { historyPolicyFrom, prepareHistory } from './serving/history.js';
export type { CatalogMovie } from './serving/catalog.js';
