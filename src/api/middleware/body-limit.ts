import type { Middleware } from 'koa';
import { PayloadTooLargeError } from '../errors.js';

/**
 * Refuses a body whose declared length is over the limit before anything reads it. Bodies sent without a
 * length (chunked) are bounded by the body parser's own limit, set to the same number in `router.ts`.
 * @example app.use(bodyLimit(16 * 1024));
 */
export function bodyLimit(limitBytes: number): Middleware {
  return async (ctx, next) => {
    const declared = Number(ctx.get('Content-Length') || '0');
    if (declared > limitBytes) {
      // Stop reading: the client gets its 413 without us buffering the rest.
      ctx.set('Connection', 'close');
      throw new PayloadTooLargeError(limitBytes);
    }
    await next();
  };
}
