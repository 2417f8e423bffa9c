import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../core/log.js';

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
 * Outermost middleware: takes the caller's `X-Request-Id` (or makes one), echoes it on the answer, and once
 * the answer is settled writes one structured access-log line and hands timing to the metrics. It never
 * throws, so the error middleware below it is the first one that can.
 * @example app.use(requestContext(logger, metrics.observe));
 */
export function requestContext(logger: Logger, observe?: RequestObserver): Middleware {
  const accessLog = logger.enabled('info');
  return async (ctx, next) => {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    const requestId = CLIENT_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
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
    }
  };
}
