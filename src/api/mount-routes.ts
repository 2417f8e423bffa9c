import type Koa from 'koa';
import type { Context, Next } from 'koa';
import zodRouter, { type ValidationErrorHandler, type ZodRouterInvalid } from 'koa-zod-router';
import type { ZodError } from 'zod';
import { AppError, ValidationError } from '../core/errors.js';
import { bearerTokenCheck } from './auth.js';
import type { RequestState } from './middleware/request-context.js';
import { Reply, type AnyRouteSpec } from './route-spec.js';

/**
 * The one file that hands route specs to the libraries: `koa-zod-router` (on `@koa/router`) matches the path,
 * parses the JSON body (koa-bodyparser) and validates params, query, body and the response with the spec's
 * zod schemas; this file only wires a spec into it and turns its results into the API's answers. Route specs,
 * the OpenAPI document and the handlers know nothing of it.
 *
 * Per route, koa-zod-router runs: the router-level body parser -> the route's `pre` (route label for the
 * access log and metrics, bearer check) -> its validation -> `validationErrorHandler` (a field-named 400 from
 * `ctx.invalid`) -> the handler -> its response validation. Matching follows @koa/router's defaults:
 * case-insensitive, optional trailing slash, params percent-decoded (left as sent when malformed, so
 * validation names the field), HEAD through the GET route. Paths no route matches, and known paths with
 * another method, fall through to the request context, which answers them as JSON 404/405 (docs/api.md).
 */
export interface MountOptions {
  /** Largest request body accepted, in bytes (the body parser's limit: 413 beyond). */
  bodyLimitBytes: number;
  /** Bearer token that writes need; undefined refuses every write. */
  apiToken: string | undefined;
}

type Location = 'params' | 'query' | 'body' | 'headers' | 'files';
const LOCATIONS: readonly Location[] = ['params', 'query', 'body', 'headers', 'files'];

/** What the adapter keeps on `ctx.state` for one request besides the request context's fields. */
interface AdapterState extends RequestState {
  /** The handler's answer, when it was a frozen object (its JSON is rendered once, see `answer`). */
  frozenBody?: object;
  /** The handler returned: a 500 thrown after this point is koa-zod-router refusing the response. */
  answered?: boolean;
}

/** `/users/{id}` (OpenAPI, the specs) -> `/users/:id` (@koa/router). */
function toRouterPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

/** The first issue of a failed parse as a ValidationError naming the field (or the location). */
function fieldError(location: Location, error: ZodError): ValidationError {
  const issue = error.issues[0];
  if (!issue) return new ValidationError(location, 'invalid');
  const field = issue.path.length > 0 ? issue.path.join('.') : location;
  const message = issue.message === 'Required' ? 'is required' : issue.message;
  return new ValidationError(field, message);
}

/**
 * koa-zod-router's `validationErrorHandler`: it runs after validation on every route, and `ctx.invalid` holds
 * the ZodError of each location that failed. The first failing location, in the order params, query, body,
 * becomes a 400 naming the field.
 */
const rejectInvalid: ValidationErrorHandler = async (ctx: Context, next: Next) => {
  const invalid = (
    ctx as Context & { invalid?: ZodRouterInvalid<unknown, unknown, unknown, unknown, unknown> }
  ).invalid;
  if (invalid?.error) {
    for (const location of LOCATIONS) {
      const error = invalid[location];
      if (error) throw fieldError(location, error as ZodError);
    }
  }
  await next();
};

/**
 * Sets the answer. A frozen object body (immutable all the way down, by the handler's promise) is remembered
 * so that, once koa-zod-router has validated it, the JSON rendered for it the first time is reused (`pre`):
 * the recommendations route returns the same frozen list for a user until their ranking changes.
 */
function answer(ctx: Context, spec: AnyRouteSpec, result: unknown): void {
  const state = ctx.state as AdapterState;
  let body = result;
  if (result instanceof Reply) {
    ctx.status = result.status;
    for (const [name, value] of Object.entries(result.headers)) ctx.set(name, value);
    if (result.contentType) ctx.type = result.contentType;
    body = result.body;
  } else {
    ctx.status = spec.status ?? 200;
    if (spec.contentType) ctx.type = spec.contentType;
  }
  if (typeof body === 'object' && body !== null && Object.isFrozen(body) && !Buffer.isBuffer(body)) {
    state.frozenBody = body;
  }
  ctx.body = body;
  state.answered = true;
}

/** koa-zod-router answers an off-schema response with a bare 500; the log gets the zod issue instead. */
function responseError(spec: AnyRouteSpec, ctx: Context, error: unknown): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  const schema = spec.validate.response;
  if (!(ctx.state as AdapterState).answered || status !== 500 || !schema || error instanceof AppError) {
    return error;
  }
  const issue = schema.safeParse(ctx.body).error?.issues[0];
  return new AppError(
    'INTERNAL',
    `response of ${spec.method.toUpperCase()} ${spec.path} breaks its schema at ` +
      `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
  );
}

/**
 * Mounts route specs on an app through koa-zod-router: one `register` per spec with its zod schemas as
 * `validate`, the bearer check and route label as `pre`, and `router.allowedMethods()` for 405s. Routes are
 * tried in the order given. The request context (mounted before) answers what nothing matched.
 * @example mountRoutes(app, [...userRoutes(deps), ...movieRoutes(deps)], { bodyLimitBytes: 16384, apiToken });
 */
export function mountRoutes(app: Koa, specs: readonly AnyRouteSpec[], options: MountOptions): void {
  const router = zodRouter({
    bodyParser: { enableTypes: ['json'], jsonLimit: `${options.bodyLimitBytes}b`, strict: true },
    zodRouter: { validationErrorHandler: rejectInvalid },
  });
  for (const spec of specs) {
    const authorize = spec.auth ? bearerTokenCheck(options.apiToken) : undefined;
    const rendered = new WeakMap<object, Buffer>();
    const { params, query, body, response } = spec.validate;
    router.register({
      method: spec.method,
      path: toRouterPath(spec.path),
      pre: async (ctx: Context, next: Next) => {
        const state = ctx.state as AdapterState;
        state.route = spec.path;
        authorize?.(ctx);
        try {
          await next();
        } catch (error) {
          throw responseError(spec, ctx, error);
        }
        // koa-zod-router has checked the body against the response schema (and replaced it with the parsed
        // copy): a frozen body's JSON is the same every time, so it is rendered once.
        const frozen = state.frozenBody;
        if (frozen === undefined) return;
        let json = rendered.get(frozen);
        if (json === undefined) {
          json = Buffer.from(JSON.stringify(ctx.body));
          rendered.set(frozen, json);
        }
        ctx.type = spec.contentType ?? 'application/json';
        ctx.body = json;
      },
      validate: {
        ...(params ? { params } : {}),
        ...(query ? { query } : {}),
        ...(body ? { body } : {}),
        ...(response ? { response } : {}),
      },
      handler: async (ctx: Context) => {
        const request = ctx.request as Context['request'] & { params: unknown; body: unknown };
        const result: unknown = await spec.handler({
          params: params ? request.params : undefined,
          query: query ? request.query : undefined,
          body: body ? request.body : undefined,
          requestId: (ctx.state as AdapterState).requestId,
        });
        answer(ctx, spec, result);
      },
    });
  }
  app.use(router.routes());
  app.use(router.allowedMethods());
}
