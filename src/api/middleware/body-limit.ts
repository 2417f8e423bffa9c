import type { Context } from 'koa';
import { PayloadTooLargeError } from '../errors.js';

/**
 * Refuses a body whose declared length is over the limit before anything reads it (the request context calls
 * it first on every request). Bodies sent without a length (chunked) are bounded by the body parser's own
 * limit, set to the same number in `mount-routes.ts`.
 * @example checkDeclaredBodySize(ctx, 16 * 1024);
 */
export function checkDeclaredBodySize(ctx: Context, limitBytes: number): void {
  const declared = ctx.get('Content-Length');
  if (declared !== '' && Number(declared) > limitBytes) {
    // Stop reading: the client gets its 413 without us buffering the rest.
    ctx.set('Connection', 'close');
    throw new PayloadTooLargeError(limitBytes);
  }
}
