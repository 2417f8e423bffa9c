import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../core/log.js';
import { respondWithError } from './errors.js';

/** What every later middleware and the access log read from `ctx.state`. */
export interface RequestState {
  requestId: string;
  /** The route's OpenAPI path once the router matched it (metrics label, access log). */
  route?: string;
}

export interface RequestObserver {
  (sample: { method: string; route: string; status: number; seconds: number }): void;
}

// A caller's id is kept only when it is short and printable, so it cannot forge log lines.
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The outermost middleware, one per request: takes the caller's `X-Request-Id` (or makes one) and echoes
 * it, turns any error thrown below into its JSON answer (`respondWithError`), and once the answer is settled
 * hands timing to the metrics and writes one structured access-log line. It never throws. One middleware
 * rather than three: each level of Koa's chain costs a bound dispatch and a promise on every request, which
 * `npm run bench:api` measures.
 * @example app.use(requestContext(logger, metrics.observe));
 */
export function requestContext(logger: Logger, observe?: RequestObserver): Middleware {
  const accessLog = logger.enabled('info');
  return async (ctx, next) => {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    const requestId = given !== '' && CLIENT_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } catch (error) {
      respondWithError(ctx, error, logger);
    }
    const seconds = (performance.now() - started) / 1000;
    const route = (ctx.state as RequestState).route ?? 'unmatched';
    observe?.({ method: ctx.method, route, status: ctx.status, seconds });
    if (accessLog) {
      logger.info('request', {
        requestId,
        method: ctx.method,
        path: ctx.path,
        route,
        status: ctx.status,
        ms: Math.round(seconds * 1e4) / 10,
      });
    }
  };
}
