import type { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createProgressRenderer } from '../core/progress.js';
import type { Config } from '../config.js';
import { startApiServer } from '../api/serve.js';
import { resolveApiToken } from '../api/token.js';
import { readCurrentPointer } from '../artifacts/pointer.js';
import { loadDatasetTablesAt } from '../storage/data-location.js';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { seedDatabase } from '../db/seed.js';
import { getModelFactory } from '../models/registry.js';
import { createStore } from '../storage/store.js';
import { initBackend } from '../tf/backend.js';
import { trainToArtifact } from '../training/pipeline.js';
import { parseServeFlags, untilSignal, withServeFlags } from './serve.js';
import { withConfiguredWorkers } from './setup.js';
import { dataLocation } from './store.js';

/**
 * `recsys start` (what `npm start` runs): the one command a new user needs. Data (download RECSYS_DATASET or
 * read MOVIELENS_DIR) -> ETL to Parquet -> migrate -> seed -> train the model if it has no current artifact
 * -> serve on PORT. Every step shows progress and is skipped when already done, so a second start only
 * serves.
 * @example register(program); // npm start, or: recsys start --param iterations=5 --port 9000
 */
export function register(program: Command): void {
  withServeFlags(
    program
      .command('start')
      .description('download/convert the dataset, migrate + seed the database, train if needed, then serve')
      .option(
        '--param <name=value...>',
        "hyperparameter of the model trained when none exists, as for recsys train (default: the model's own)",
      ),
  ).action(async (raw: Record<string, unknown> & { param?: string[] }) => {
    const { param, ...serveRaw } = raw;
    const { flags, config, logger } = parseServeFlags(serveRaw);
    // Fail on a bad model name or hyperparameter before minutes of downloading and seeding.
    const factory = getModelFactory(config.model);
    const hyperparameters = withConfiguredWorkers(
      factory.defaults,
      parseParamFlags(param ?? [], factory.defaults),
      config,
    );
    factory.parseHyperparameters(hyperparameters);
    const onProgress = createProgressRenderer();
    await initBackend(config.tfBackend, logger);

    logger.info(`[1/4] data: ${config.dataset}`, {
      from: config.movielensDir ?? 'download',
      dataDir: config.dataDir,
    });
    const tables = await loadDatasetTablesAt(config.dataset, {
      ...dataLocation(config),
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
        dataDir: config.localStateDir,
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
 * `--param factors=32 --param iterations=5` -> `{ factors: 32, iterations: 5 }`, each typed like the model's
 * default for it; the model's factory validates names and ranges.
 * @example parseParamFlags(['iterations=2'], { iterations: 15 }) // { iterations: 2 }
 */
export function parseParamFlags(
  pairs: readonly string[],
  defaults: Readonly<Record<string, number | string | boolean>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ValidationError('--param', `'${pair}' is not name=value`);
    const name = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1).trim();
    const like = defaults[name];
    if (typeof like === 'number') {
      if (text === '' || !Number.isFinite(Number(text))) {
        throw new ValidationError(`--param ${name}`, `'${text}' is not a number`);
      }
      out[name] = Number(text);
    } else if (typeof like === 'boolean') {
      if (!/^(true|false)$/i.test(text))
        throw new ValidationError(`--param ${name}`, `'${text}' is not true or false`);
      out[name] = /^true$/i.test(text);
    } else {
      out[name] = text;
    }
  }
  return out;
}
