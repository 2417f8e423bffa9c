import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { UnauthorizedError } from './errors.js';

const BEARER = /^Bearer ([\x21-\x7e]+)$/;

/**
 * The check writes pass: `Authorization: Bearer <token>` with the configured token, else UnauthorizedError.
 * Both sides are hashed first, so `timingSafeEqual` compares equal-length digests and the time taken says
 * nothing about the token's length or content. With no token configured every write is refused. The token
 * is never logged. The router runs it before a route reads its body.
 * @example const authorize = bearerTokenCheck(config.apiToken); authorize(ctx);
 */
export function bearerTokenCheck(token: string | undefined): (ctx: Context) => void {
  const expected = token === undefined || token === '' ? undefined : digest(token);
  return (ctx) => {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (expected === undefined || !match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new UnauthorizedError();
    }
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
