import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../core/log.js';
import { AppError } from '../../core/errors.js';
import { MethodNotAllowedError, RouteNotFoundError } from '../errors.js';
import { checkDeclaredBodySize } from './body-limit.js';
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

export interface RequestContextOptions {
  /** Bodies declared longer than this are refused with 413 before anything reads them. */
  bodyLimitBytes?: number;
}

// A caller's id is kept only when it is short and printable, so it cannot forge log lines.
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What the router left unanswered: no route matched (Koa's default 404), a known path with another method
 * (@koa/router's `allowedMethods` sets 405 and `Allow`), or a method the router does not implement (501).
 */
function unanswered(ctx: Context): AppError | undefined {
  if (ctx.body !== undefined && ctx.body !== null) return undefined;
  if (ctx.status === 404) return new RouteNotFoundError(ctx.method, ctx.path);
  if (ctx.status === 405) {
    const allowed = ctx.response.get('Allow');
    return new MethodNotAllowedError(ctx.method, ctx.path, allowed === '' ? [] : allowed.split(/,\s*/));
  }
  if (ctx.status === 501) {
    return new AppError('NOT_SUPPORTED', `${ctx.method} is not implemented`, { status: 501 });
  }
  return undefined;
}

/**
 * The outermost middleware, one per request: takes the caller's `X-Request-Id` (or makes one) and echoes
 * it, refuses a declared body over the limit (413), turns any error thrown below into its JSON answer
 * (`respondWithError`), answers what no route took as a JSON 404/405, and once the answer is settled hands
 * timing to the metrics and writes one structured access-log line. It never throws. One middleware rather
 * than four: each level of Koa's chain costs a bound dispatch and a promise on every request, which
 * `npm run bench:api` measures.
 * @example app.use(requestContext(logger, metrics.observe, { bodyLimitBytes: 16384 }));
 */
export function requestContext(
  logger: Logger,
  observe?: RequestObserver,
  options: RequestContextOptions = {},
): Middleware {
  const accessLog = logger.enabled('info');
  const { bodyLimitBytes } = options;
  return async (ctx, next) => {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    const requestId = given !== '' && CLIENT_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      if (bodyLimitBytes !== undefined) checkDeclaredBodySize(ctx, bodyLimitBytes);
      await next();
      const missing = unanswered(ctx);
      if (missing) throw missing;
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
