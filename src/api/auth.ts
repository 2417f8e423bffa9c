import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { UnauthorizedError } from './errors.js';

const BEARER = /^Bearer ([\x21-\x7e]+)$/;

/**
 * Middleware for writes: accepts `Authorization: Bearer <token>` when the token equals the configured one.
 * Both sides are hashed first, so `timingSafeEqual` compares equal-length digests and the time taken says
 * nothing about the token's length or content. With no token configured every write is refused. The token
 * is never logged.
 * @example router.post('/users', requireBearerToken(config.apiToken), handler)
 */
export function requireBearerToken(token: string | undefined): Middleware {
  const expected = token === undefined || token === '' ? undefined : digest(token);
  return async (ctx, next) => {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (expected === undefined || !match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new UnauthorizedError();
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
