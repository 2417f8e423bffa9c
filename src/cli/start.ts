import type { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createProgressRenderer } from '../core/progress.js';
import type { Config } from '../config.js';
import { startApiServer } from '../api/serve.js';
import { resolveApiToken } from '../api/token.js';
import { readCurrentPointer } from '../artifacts/pointer.js';
import { loadDatasetTables } from '../data/load.js';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { seedDatabase } from '../db/seed.js';
import { getModelFactory } from '../models/registry.js';
import { createStore } from '../storage/store.js';
import { initBackend } from '../tf/backend.js';
import { trainToArtifact } from '../training/pipeline.js';
import { parseServeFlags, untilSignal, withServeFlags } from './serve.js';

/**
 * `recsys start` (what `npm start` runs): the one command a new user needs. Data (download RECSYS_DATASET or
 * read MOVIELENS_DIR) -> ETL to Parquet -> migrate -> seed -> train the model if it has no current artifact
 * -> serve on PORT. Every step shows progress and is skipped when already done, so a second start only
 * serves.
 * @example register(program); // npm start, or: recsys start --hp iterations=5 --port 9000
 */
export function register(program: Command): void {
  withServeFlags(
    program
      .command('start')
      .description('download/convert the dataset, migrate + seed the database, train if needed, then serve')
      .option(
        '--hp <key=value>',
        "hyperparameter of the model trained when none exists (repeatable; default: the model's own)",
        (value: string, previous: string[] = []) => [...previous, value],
      ),
  ).action(async (raw: Record<string, unknown> & { hp?: string[] }) => {
    const { hp, ...serveRaw } = raw;
    const { flags, config, logger } = parseServeFlags(serveRaw);
    const hyperparameters = parseHyperparameterFlags(hp ?? []);
    // Fail on a bad model name or hyperparameter before minutes of downloading and seeding.
    getModelFactory(config.model).parseHyperparameters(hyperparameters);
    const onProgress = createProgressRenderer();
    await initBackend(config.tfBackend, logger);

    logger.info(`[1/4] data: ${config.dataset}`, {
      from: config.movielensDir ?? 'download',
      dataDir: config.dataDir,
    });
    const tables = await loadDatasetTables(config.dataset, {
      dataDir: config.dataDir,
      ...(config.movielensDir !== undefined ? { from: config.movielensDir } : {}),
      onProgress,
      logger,
    });

    const database = await createDatabase({
      databaseUrl: config.databaseUrl,
      pgliteDir: config.pgliteDir as string,
    });
    let served = false;
    try {
      await prepareDatabase(database, config, tables, logger, onProgress);
      await ensureModel(config, tables, hyperparameters, logger, onProgress);
      const token = await resolveApiToken({
        configured: config.apiToken,
        dataDir: config.dataDir,
        generate: true,
      });
      logger.info('[4/4] serve', {
        writeToken: token.file ?? (token.source === 'environment' ? 'RECSYS_API_TOKEN' : 'none'),
      });
      const server = await startApiServer({
        config,
        logger,
        apiToken: token.token,
        database,
        ...(flags.cacheTtlMs !== undefined ? { userCache: { ttlMs: flags.cacheTtlMs } } : {}),
        ...(flags.watchIntervalMs !== undefined ? { watchIntervalMs: flags.watchIntervalMs } : {}),
      });
      served = true;
      logger.info(
        `ready: curl ${server.url}/users/1/recommendations?k=10  (API explorer: ${server.url}/docs)`,
      );
      await untilSignal(server, logger);
    } finally {
      if (!served) await database.close();
    }
  });
}

async function prepareDatabase(
  database: Database,
  config: Config,
  tables: Parameters<typeof seedDatabase>[1],
  logger: Logger,
  onProgress: ReturnType<typeof createProgressRenderer>,
): Promise<void> {
  logger.info(`[2/4] database: ${database.kind}`, { schema: database.schema });
  const { applied } = await migrate(database, { logger });
  if (applied.length === 0) logger.info('schema up to date');
  const seeded = await seedDatabase(database, tables, { dataset: config.dataset, onProgress, logger });
  logger.info(seeded.status === 'unchanged' ? 'already seeded' : 'seeded', {
    users: seeded.users,
    movies: seeded.movies,
    ratings: seeded.ratings,
  });
}

async function ensureModel(
  config: Config,
  tables: Parameters<typeof trainToArtifact>[0]['tables'],
  hyperparameters: Record<string, unknown>,
  logger: Logger,
  onProgress: ReturnType<typeof createProgressRenderer>,
): Promise<void> {
  const store = createStore(config.artifactsUri);
  const current = await readCurrentPointer(store, config.model);
  if (current !== null) {
    logger.info(`[3/4] model: ${config.model} ${current} already trained`, { artifacts: store.uri });
    return;
  }
  logger.info(`[3/4] model: training ${config.model} on ${config.dataset}`, { hyperparameters });
  const result = await trainToArtifact({
    store,
    tables,
    dataset: config.dataset,
    kind: config.model,
    hyperparameters,
    onProgress,
    onEpoch: (epoch) =>
      onProgress({
        phase: `train ${config.model}`,
        done: epoch.iteration,
        total: epoch.iterations,
        unit: 'iterations',
        ...(epoch.loss !== undefined ? { detail: `loss ${epoch.loss.toPrecision(5)}` } : {}),
      }),
    logger,
  });
  logger.info('model trained', {
    version: result.ref.version,
    seconds: result.trained.fitSeconds.toFixed(1),
  });
}

/**
 * `--hp factors=32 --hp iterations=5` -> `{ factors: 32, iterations: 5 }`; numbers and booleans are typed,
 * the model's factory validates the names and ranges.
 * @example parseHyperparameterFlags(['iterations=2']) // { iterations: 2 }
 */
export function parseHyperparameterFlags(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ValidationError('--hp', `expected key=value, got '${pair}'`);
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1).trim();
    out[key] =
      text === 'true'
        ? true
        : text === 'false'
          ? false
          : text !== '' && Number.isFinite(Number(text))
            ? Number(text)
            : text;
  }
  return out;
}
