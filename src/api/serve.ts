import type { Logger } from '../core/log.js';
import type { Config } from '../config.js';
import { createDatabase, type Database } from '../db/client.js';
import { servingDataFromDatabase } from '../serving/data-source.js';
import { artifactModelSource } from '../serving/model-source.js';
import {
  createRecommendationService,
  type RecommendationService,
  type RecommendationServiceOptions,
} from '../serving/service.js';
import { createStore } from '../storage/store.js';
import { initBackend, type BackendName } from '../tf/backend.js';
import { createApp } from './app.js';
import { listen } from './listen.js';
import { ensureWebPage, WEB_DIST } from './web-build.js';

export interface ApiServerOptions {
  config: Config;
  logger: Logger;
  /** Bearer token for writes (see resolveApiToken); undefined refuses every write. */
  apiToken: string | undefined;
  /** An open, migrated database to use (and close on stop); opened from the config when absent. */
  database?: Database;
  userCache?: RecommendationServiceOptions['userCache'];
  /** Follow the database's ratings change feed (default true). */
  ratingsFeed?: boolean;
  watchIntervalMs?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly service: RecommendationService;
  /** True once `drain` was called: `/ready` answers 503. */
  readonly draining: boolean;
  /**
   * The first half of a shutdown a load balancer can follow (SIGTERM): `/ready` answers 503 at once, and the
   * server keeps accepting and answering for `config.shutdownDelayMs` (answers carry `Connection: close`) so
   * the balancer sees it is not ready and stops sending before the listening socket goes. Resolves after the
   * delay (at once with 0); `close` then stops as usual. Idempotent.
   */
  drain(): Promise<void>;
  /**
   * Graceful stop: no new connections, in-flight requests finish (cut after `graceMs`), then the service
   * lets its model go and the database pool closes. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Wires config -> TF backend -> database -> artifact store -> recommendation service -> Koa app, and listens
 * on `config.host:config.port`. Process signals are the caller's business (see `recsys serve`).
 * @example const server = await startApiServer({ config, logger, apiToken }); await server.close();
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config, logger } = options;
  await initBackend(config.tfBackend as BackendName | 'auto', logger);
  const database =
    options.database ??
    (await createDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir as string }));
  let service: RecommendationService | undefined;
  try {
    const store = createStore(config.artifactsUri);
    service = createRecommendationService({
      data: servingDataFromDatabase(database),
      models: artifactModelSource(store, config.model),
      logger,
      similar: config.similar,
      ...(options.userCache ? { userCache: options.userCache } : {}),
      ...(options.ratingsFeed !== undefined ? { ratingsFeed: options.ratingsFeed } : {}),
      ...(options.watchIntervalMs !== undefined ? { watchIntervalMs: options.watchIntervalMs } : {}),
    });
    await service.start();
    // The web page at `/`: built from web/ when missing or older than its sources (src/api/web-build.ts).
    const page = await ensureWebPage();
    if (!page.ok) logger.warn('no web page at /', { reason: page.reason });
    else if (page.built)
      logger.info('web page built', { dir: page.built.outDir, seconds: page.built.seconds });
    let draining: Promise<void> | undefined;
    const app = createApp({
      service,
      logger,
      apiToken: options.apiToken,
      draining: () => draining !== undefined,
      web: {
        store,
        page: page.ok ? { dir: WEB_DIST } : { unavailable: page.reason },
        servedKind: config.model,
      },
    });
    const running = await listen(app, config.host, config.port);
    logger.info('listening', { url: running.url, database: database.kind, model: config.model });
    const ready = service;
    let closing: Promise<void> | undefined;
    return {
      url: running.url,
      port: running.port,
      service: ready,
      get draining() {
        return draining !== undefined;
      },
      drain() {
        draining ??= (async () => {
          const delayMs = config.shutdownDelayMs;
          if (delayMs <= 0) return;
          logger.info('draining: /ready answers 503, still serving', { delayMs });
          running.drain();
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        })();
        return draining;
      },
      close(graceMs) {
        closing ??= (async () => {
          await running.close(graceMs);
          await ready.close();
          await database.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await service?.close();
    await database.close();
    throw error;
  }
}
