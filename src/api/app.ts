import Koa from 'koa';
import type { Logger } from '../core/log.js';
import type { RecommendationService } from '../serving/service.js';
import { requestContext } from './middleware/request-context.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { buildOpenApiDocument, type ApiInfo } from './openapi.js';
import type { AnyRouteSpec } from './route-spec.js';
import { mountRoutes } from './mount-routes.js';
import { adminRoutes } from './routes/admin.js';
import { docsRoutes } from './routes/docs.js';
import { movieRoutes } from './routes/movies.js';
import { opsRoutes } from './routes/ops.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { userRoutes } from './routes/users.js';
import { webRoutes, type WebPageOptions } from './routes/web.js';

/** Request bodies are a rating or a profile: 16 KiB is generous. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

export interface AppDeps {
  service: RecommendationService;
  logger: Logger;
  /** Bearer token writes need; undefined refuses every write. */
  apiToken: string | undefined;
  bodyLimitBytes?: number;
  /** Defaults to a fresh registry per app. */
  metrics?: ApiMetrics;
  info?: ApiInfo;
  /** True while the server drains before a shutdown: `/ready` answers 503 (default: never). */
  draining?: () => boolean;
  /** The web page at `/` and the artifact files it loads (absent: no page). */
  web?: WebPageOptions;
}

/**
 * Every route of the API, in the order they are mounted (the OpenAPI document lists the same).
 * @example const routes = apiRoutes(service, metrics, () => document);
 */
export function apiRoutes(
  service: RecommendationService,
  metrics: ApiMetrics,
  document: () => unknown,
  draining: () => boolean = () => false,
): AnyRouteSpec[] {
  return [
    ...userRoutes(service),
    ...recommendationRoutes(service),
    ...movieRoutes(service),
    ...adminRoutes(service),
    ...opsRoutes(service, metrics, draining),
    ...docsRoutes(document),
  ];
}

/**
 * Builds the Koa app; it never listens (see `serve.ts`), so tests and benchmarks mount it on their own
 * servers. The request context (request id, declared body size, errors as JSON, JSON 404/405, metrics,
 * access log; never throws), then koa-zod-router's routes on @koa/router (body parser, bearer check,
 * validation, handler, response validation) and @koa/router's `allowedMethods` (405 + `Allow`).
 * @example const app = createApp({ service, logger, apiToken: config.apiToken }); http.createServer(app.callback());
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const metrics = deps.metrics ?? createApiMetrics(() => deps.service.model());
  const info = deps.info ?? { title: 'recsys', version: '0.1.0', description: 'MovieLens recommendations' };
  let document: unknown;
  const routes: AnyRouteSpec[] = [
    ...apiRoutes(
      deps.service,
      metrics,
      () => (document ??= buildOpenApiDocument(routes, info)),
      deps.draining,
    ),
    ...(deps.web ? webRoutes(deps.web) : []),
  ];
  // Koa reports errors it could not hand to a middleware (a client that hung up mid-body) here.
  app.on('error', (error: unknown) =>
    deps.logger.warn('connection error', { error: error instanceof Error ? error.message : String(error) }),
  );
  const bodyLimitBytes = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  app.use(requestContext(deps.logger, metrics.observe, { bodyLimitBytes }));
  mountRoutes(app, routes, { bodyLimitBytes, apiToken: deps.apiToken });
  return app;
}
