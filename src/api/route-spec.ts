import type { ZodType, ZodTypeDef } from 'zod';

/**
 * The one shape every route is written in. A spec names its method, its path (OpenAPI style, `/users/{id}`),
 * the zod schemas of what comes in and goes out, and a handler that sees only validated values. Nothing here
 * knows the router library: `router.ts` is the one file that adapts specs to it, and `openapi.ts` turns the
 * same specs into the OpenAPI document.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** A schema whose parsed type is `T` and whose input is whatever arrives (strings for params and query). */
export type Schema<T> = ZodType<T, ZodTypeDef, unknown>;

/** What a handler receives: validated params, query and body, plus the request id for logs. */
export interface RouteRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  requestId: string;
}

/** A handler's answer when it is not the default status, or not JSON. */
export class Reply<R> {
  constructor(
    readonly status: number,
    readonly body: R,
    readonly contentType?: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** An error status a route documents in the OpenAPI document. */
export interface DocumentedError {
  status: number;
  description: string;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: HttpMethod;
  /** OpenAPI-style path: `/users/{id}/recommendations`. */
  path: string;
  /** One line for the OpenAPI document and the access log. */
  summary: string;
  tags: string[];
  /** Writes need `Authorization: Bearer <token>`. */
  auth?: boolean;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Content type of a successful answer (default JSON). */
  contentType?: string;
  /** Left out of the OpenAPI document (static assets). */
  hidden?: boolean;
  /** Error answers this route can give besides the ones every route can (400, 500). */
  errors?: DocumentedError[];
  validate: {
    params?: Schema<P>;
    query?: Schema<Q>;
    body?: Schema<B>;
    response?: Schema<R>;
  };
  handler: (request: RouteRequest<P, Q, B>) => Promise<R | Reply<R>> | R | Reply<R>;
}

/** A spec with its type parameters erased, as lists of routes hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRouteSpec = RouteSpec<any, any, any, any>;

/**
 * Declares a route with its types inferred from the schemas.
 * @example
 * export const health = defineRoute({
 *   method: 'get', path: '/health', summary: 'Liveness', tags: ['ops'],
 *   validate: { response: z.object({ status: z.literal('ok') }) },
 *   handler: () => ({ status: 'ok' as const }),
 * });
 */
export function defineRoute<P = undefined, Q = undefined, B = undefined, R = unknown>(
  spec: RouteSpec<P, Q, B, R>,
): RouteSpec<P, Q, B, R> {
  return spec;
}
