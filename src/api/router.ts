import type Koa from 'koa';
import type { Middleware } from 'koa';
import zodRouter, { type ValidationErrorHandler } from 'koa-zod-router';
import type { ZodError } from 'zod';
import { AppError, ValidationError } from '../core/errors.js';
import { requireBearerToken } from './auth.js';
import { MethodNotAllowedError, RouteNotFoundError } from './errors.js';
import type { RequestState } from './middleware/request-context.js';
import { Reply, toRouterPath, type AnyRouteSpec } from './route-spec.js';

/**
 * The one file that knows the router library (koa-zod-router over @koa/router). Swapping it for another
 * (koa 3 + @koa/router 15 + a small validate middleware, say) means rewriting this file only: route specs,
 * the OpenAPI document and the handlers stay as they are.
 */
export interface MountOptions {
  /** Largest request body accepted, in bytes (413 beyond). */
  bodyLimitBytes: number;
  /** Bearer token that writes need; undefined refuses every write. */
  apiToken: string | undefined;
}

const LOCATIONS = ['params', 'query', 'body', 'headers'] as const;

/**
 * koa-zod-router calls this after validating (it only does so when given a handler; without one it answers
 * a bare 400). The first issue becomes a ValidationError naming the field, so the client reads
 * `{"error":{"code":"VALIDATION","field":"k",...}}`.
 */
const throwFieldError: ValidationErrorHandler = async (ctx, next) => {
  const invalid = ctx.invalid as Partial<Record<(typeof LOCATIONS)[number], ZodError>> & {
    error?: boolean;
  };
  if (!invalid?.error) {
    await next();
    return;
  }
  for (const location of LOCATIONS) {
    const issue = invalid[location]?.issues[0];
    if (!issue) continue;
    const field = issue.path.length > 0 ? issue.path.join('.') : location;
    const message = issue.message === 'Required' ? 'is required' : issue.message;
    throw new ValidationError(field, message);
  }
  throw new ValidationError('request', 'invalid');
};

function labelRoute(path: string): Middleware {
  return async (ctx, next) => {
    (ctx.state as RequestState).route = path;
    await next();
  };
}

/**
 * The response is checked here, synchronously, rather than by koa-zod-router: its check runs zod's async
 * parser, which cost ~30 µs per recommendations answer (bench:api); the sync parse costs a fraction of it.
 * A handler answering off-schema is a bug: 500 to the client, the zod issue in the log.
 */
function checkResponse(spec: AnyRouteSpec, body: unknown): unknown {
  const schema = spec.validate.response;
  if (!schema) return body;
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError(
    'INTERNAL',
    `response of ${spec.method.toUpperCase()} ${spec.path} breaks its schema at ` +
      `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
  );
}

function runHandler(spec: AnyRouteSpec): Middleware {
  return async (ctx) => {
    const request = ctx.request as unknown as { params: unknown; query: unknown; body: unknown };
    const result: unknown = await spec.handler({
      params: request.params,
      query: request.query,
      body: request.body,
      requestId: (ctx.state as RequestState).requestId,
    });
    if (result instanceof Reply) {
      ctx.status = result.status;
      for (const [name, value] of Object.entries(result.headers)) ctx.set(name, value);
      if (result.contentType) ctx.type = result.contentType;
      ctx.body = checkResponse(spec, result.body);
    } else {
      ctx.status = spec.status ?? 200;
      if (spec.contentType) ctx.type = spec.contentType;
      ctx.body = checkResponse(spec, result);
    }
  };
}

/**
 * Mounts route specs on an app: body parsing (JSON only, size-limited), the bearer check on writes,
 * validation of params/query/body with field-named 400s, validation of the response, then the handler.
 * Requests no route matches get 404, and a known path with another method 405, as JSON errors.
 * @example mountRoutes(app, [...userRoutes(deps), ...movieRoutes(deps)], { bodyLimitBytes: 16384, apiToken });
 */
export function mountRoutes(app: Koa, specs: readonly AnyRouteSpec[], options: MountOptions): void {
  const router = zodRouter({
    bodyParser: { enableTypes: ['json'], jsonLimit: `${options.bodyLimitBytes}b`, strict: true },
    zodRouter: { validationErrorHandler: throwFieldError },
  });
  const auth = requireBearerToken(options.apiToken);
  for (const spec of specs) {
    const pre = spec.auth ? [labelRoute(spec.path), auth] : [labelRoute(spec.path)];
    const { params, query, body } = spec.validate;
    router.register({
      method: spec.method,
      path: toRouterPath(spec.path),
      pre,
      validate: { params, query, body },
      handler: runHandler(spec),
    });
  }
  // Reads carry no body: skip the body parser's work for them (koa-bodyparser honours this flag).
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') ctx.disableBodyParser = true;
    await next();
  });
  app.use(router.routes());
  app.use(async (ctx) => {
    const matched = (ctx as unknown as { matched?: { methods: string[] }[] }).matched ?? [];
    if (matched.some((layer) => layer.methods.length > 0)) {
      throw new MethodNotAllowedError(ctx.method, ctx.path);
    }
    throw new RouteNotFoundError(ctx.method, ctx.path);
  });
}
