import type Koa from 'koa';
import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import type { ZodError } from 'zod';
import { AppError, ValidationError } from '../core/errors.js';
import { bearerTokenCheck } from './auth.js';
import { MethodNotAllowedError, RouteNotFoundError } from './errors.js';
import { compileFastParser, type FastParser } from './fast-parse.js';
import { checkDeclaredBodySize } from './middleware/body-limit.js';
import type { RequestState } from './middleware/request-context.js';
import { Reply, type AnyRouteSpec, type Schema } from './route-spec.js';

/**
 * The one file that turns route specs into request handling: path matching, the bearer check, the JSON body,
 * zod validation and the answer. Route specs, the OpenAPI document and the handlers know nothing of it.
 *
 * It is its own small router rather than @koa/router, and validates with zod's synchronous parser rather
 * than koa-zod-router: both were measured under `npm run bench:api` and replaced (docs/architecture.md).
 * koa-zod-router ran five `safeParseAsync` calls in a `Promise.all` and a body parser on every request;
 * @koa/router matched every route's regular expression and composed a fresh middleware chain (a closure per
 * matched layer) on every request. Here each route's path is compiled once, routes are bucketed by their
 * first path segment, and a matched route runs as one function: no per-request composition.
 *
 * Matching follows @koa/router's defaults, which clients may rely on: case-insensitive, an optional trailing
 * slash, params percent-decoded (left as sent when the encoding is malformed, so validation names the field),
 * and HEAD answered by the GET route.
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

function parse<T>(schema: Schema<T>, value: unknown, location: Location): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fieldError(location, parsed.error);
  return parsed.data;
}

function parseWith<T>(
  fast: FastParser | undefined,
  schema: Schema<T>,
  value: unknown,
  location: Location,
): T {
  return (fast?.(value) as T | undefined) ?? parse(schema, value, location);
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
 * checked and serialized once and the JSON, as UTF-8 bytes, reused while the handler keeps returning that
 * object: the recommendations route returns the same frozen list for a user until their ranking changes, so
 * a cached answer costs no validation, no JSON.stringify and no encoding.
 */
function setBody(
  ctx: Koa.Context,
  spec: AnyRouteSpec,
  rendered: WeakMap<object, Buffer>,
  body: unknown,
): void {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) {
    ctx.body = checkResponse(spec, body);
    return;
  }
  let json = rendered.get(body);
  if (json === undefined) {
    json = Buffer.from(JSON.stringify(checkResponse(spec, body)));
    rendered.set(body, json);
  }
  ctx.type = spec.contentType ?? 'application/json';
  ctx.body = json;
}

/** A path's segments: literal text (escaped for a RegExp) or a param capture. */
function compilePath(path: string): { pattern: RegExp; params: string[]; first: string | undefined } {
  const params: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
      if (param) {
        params.push(param[1] as string);
        return '([^/]+)';
      }
      if (/[{}]/.test(segment)) throw new Error(`route path ${path}: a param must be a whole segment`);
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const firstSegment = path.split('/')[1];
  const first = firstSegment === undefined || firstSegment.startsWith('{') ? undefined : firstSegment;
  return { pattern: new RegExp(`^${source}/?$`, 'i'), params, first: first?.toLowerCase() };
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  /** The first path segment, lower-cased; undefined when it is a param. */
  first: string | undefined;
  run: (ctx: Koa.Context, match: RegExpExecArray) => Promise<void>;
}

/**
 * One route as a single function: label, bearer check (before the body is read), JSON body, validation of
 * params/query/body with field-named 400s, the handler, and the answer.
 */
function compileRoute(spec: AnyRouteSpec, options: MountOptions, readJson: Middleware): CompiledRoute {
  const { pattern, params: names, first } = compilePath(spec.path);
  const { params, query, body } = spec.validate;
  const authorize = spec.auth ? bearerTokenCheck(options.apiToken) : undefined;
  // Ids and k skip zod when they are valid (fast-parse.ts); anything else goes through zod for its error.
  const fastParams = params ? compileFastParser(params) : undefined;
  const fastQuery = query ? compileFastParser(query) : undefined;
  const rendered = new WeakMap<object, Buffer>();
  const noMore = (): Promise<void> => Promise.resolve();
  const paramsOf = (match: RegExpExecArray): Record<string, string> => {
    const values: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) values[names[i] as string] = decodeParam(match[i + 1] as string);
    return values;
  };
  const run = async (ctx: Koa.Context, match: RegExpExecArray): Promise<void> => {
    const state = ctx.state as RequestState;
    state.route = spec.path;
    authorize?.(ctx);
    if (body) await readJson(ctx, noMore);
    const result: unknown = await spec.handler({
      params: params ? parseWith(fastParams, params, paramsOf(match), 'params') : undefined,
      query: query ? parseWith(fastQuery, query, ctx.query, 'query') : undefined,
      body: body ? parse(body, (ctx.request as unknown as { body?: unknown }).body, 'body') : undefined,
      requestId: state.requestId,
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
  return { method: spec.method.toUpperCase(), pattern, first, run };
}

/**
 * Mounts route specs on an app as one middleware: the declared body size is checked first (413), then the
 * route is found and run. Requests no route matches get a JSON 404, and a known path with another method a
 * 405 with an `Allow` header. Routes are tried in the order given.
 * @example mountRoutes(app, [...userRoutes(deps), ...movieRoutes(deps)], { bodyLimitBytes: 16384, apiToken });
 */
export function mountRoutes(app: Koa, specs: readonly AnyRouteSpec[], options: MountOptions): void {
  const readJson = bodyParser({
    enableTypes: ['json'],
    jsonLimit: `${options.bodyLimitBytes}b`,
    strict: true,
  }) as unknown as Middleware;
  const all: CompiledRoute[] = [];
  const byFirstSegment = new Map<string, CompiledRoute[]>();
  const anyFirstSegment: CompiledRoute[] = [];
  for (const spec of specs) {
    const route = compileRoute(spec, options, readJson);
    all.push(route);
    if (route.first === undefined) anyFirstSegment.push(route);
    else byFirstSegment.set(route.first, [...(byFirstSegment.get(route.first) ?? []), route]);
  }
  // A route whose first segment is a param can match any path: then every path tries every route, in order.
  const candidatesFor = (path: string): readonly CompiledRoute[] => {
    if (anyFirstSegment.length > 0) return all;
    const end = path.indexOf('/', 1);
    const first = (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
    return byFirstSegment.get(first) ?? [];
  };

  app.use(async (ctx) => {
    checkDeclaredBodySize(ctx, options.bodyLimitBytes);
    const { path } = ctx;
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    let allowed: string[] | undefined;
    for (const route of candidatesFor(path)) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (route.method === method) return route.run(ctx, match);
      allowed ??= [];
      if (!allowed.includes(route.method)) allowed.push(route.method);
      if (route.method === 'GET' && !allowed.includes('HEAD')) allowed.push('HEAD');
    }
    if (allowed) throw new MethodNotAllowedError(ctx.method, path, allowed);
    throw new RouteNotFoundError(ctx.method, path);
  });
}
