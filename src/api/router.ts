import Router from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import type { ZodError } from 'zod';
import { AppError, ValidationError } from '../core/errors.js';
import { requireBearerToken } from './auth.js';
import { MethodNotAllowedError, RouteNotFoundError } from './errors.js';
import type { RequestState } from './middleware/request-context.js';
import { Reply, toRouterPath, type AnyRouteSpec, type Schema } from './route-spec.js';

/**
 * The one file that knows the router library (@koa/router, with request validation done here by zod's
 * synchronous parser). Swapping the library means rewriting this file only: route specs, the OpenAPI
 * document and the handlers stay as they are. koa-zod-router, which the design first named, was measured
 * and replaced (docs/architecture.md): it runs five `safeParseAsync` calls in a `Promise.all` and a body
 * parser on every request, which cost more than the rest of a cached recommendations answer.
 */
export interface MountOptions {
  /** Largest request body accepted, in bytes (413 beyond). */
  bodyLimitBytes: number;
  /** Bearer token that writes need; undefined refuses every write. */
  apiToken: string | undefined;
}

type Location = 'params' | 'query' | 'body';

/** The first issue of a failed parse as a ValidationError naming the field (or the location). */
function fieldError(location: Location, error: ZodError): ValidationError {
  const issue = error.issues[0];
  if (!issue) return new ValidationError(location, 'invalid');
  const field = issue.path.length > 0 ? issue.path.join('.') : location;
  const message = issue.message === 'Required' ? 'is required' : issue.message;
  return new ValidationError(field, message);
}

function parse<T>(schema: Schema<T> | undefined, value: unknown, location: Location): T | undefined {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fieldError(location, parsed.error);
  return parsed.data;
}

function labelRoute(path: string): Middleware {
  return async (ctx, next) => {
    (ctx.state as RequestState).route = path;
    await next();
  };
}

/**
 * The response is checked here, synchronously, with zod's synchronous parser.
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

/**
 * Sets the answer's body. A frozen object body (immutable all the way down, by the handler's promise) is
 * checked and serialized once and the JSON text reused while the handler keeps returning that object: the
 * recommendations route returns the same frozen list for a user until their ranking changes, so a cached
 * answer costs no validation and no JSON.stringify.
 */
function setBody(
  ctx: Koa.Context,
  spec: AnyRouteSpec,
  rendered: WeakMap<object, string>,
  body: unknown,
): void {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) {
    ctx.body = checkResponse(spec, body);
    return;
  }
  let json = rendered.get(body);
  if (json === undefined) {
    json = JSON.stringify(checkResponse(spec, body));
    rendered.set(body, json);
  }
  ctx.type = spec.contentType ?? 'application/json';
  ctx.body = json;
}

function runHandler(spec: AnyRouteSpec): Middleware {
  const { params, query, body } = spec.validate;
  const rendered = new WeakMap<object, string>();
  return async (ctx) => {
    const request = ctx.request as unknown as { body?: unknown };
    const result: unknown = await spec.handler({
      params: parse(params, (ctx as unknown as { params: unknown }).params, 'params'),
      query: parse(query, ctx.query, 'query'),
      body: parse(body, request.body, 'body'),
      requestId: (ctx.state as RequestState).requestId,
    });
    if (result instanceof Reply) {
      ctx.status = result.status;
      for (const [name, value] of Object.entries(result.headers)) ctx.set(name, value);
      if (result.contentType) ctx.type = result.contentType;
      setBody(ctx, spec, rendered, result.body);
    } else {
      ctx.status = spec.status ?? 200;
      if (spec.contentType) ctx.type = spec.contentType;
      setBody(ctx, spec, rendered, result);
    }
  };
}

/**
 * Mounts route specs on an app: for each route its label (metrics, logs), the bearer check on writes, the
 * JSON body parser (size-limited) where the route takes a body, then validation of params/query/body with
 * field-named 400s, the handler, and validation of the response. Requests no route matches get 404, and a
 * known path with another method 405, as JSON errors.
 * @example mountRoutes(app, [...userRoutes(deps), ...movieRoutes(deps)], { bodyLimitBytes: 16384, apiToken });
 */
export function mountRoutes(app: Koa, specs: readonly AnyRouteSpec[], options: MountOptions): void {
  const router = new Router();
  const auth = requireBearerToken(options.apiToken);
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: `${options.bodyLimitBytes}b`, strict: true });
  for (const spec of specs) {
    const chain: Middleware[] = [labelRoute(spec.path)];
    if (spec.auth) chain.push(auth);
    if (spec.validate.body) chain.push(json);
    chain.push(runHandler(spec));
    router.register(toRouterPath(spec.path), [spec.method], chain);
  }
  app.use(router.routes());
  app.use(async (ctx) => {
    const matched = (ctx as unknown as { matched?: { methods: string[] }[] }).matched ?? [];
    if (matched.some((layer) => layer.methods.length > 0)) {
      throw new MethodNotAllowedError(ctx.method, ctx.path);
    }
    throw new RouteNotFoundError(ctx.method, ctx.path);
  });
}
