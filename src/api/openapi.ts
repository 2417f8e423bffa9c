import {
  OpenAPIRegistry,
  OpenApiGeneratorV3,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import type { AnyZodObject, ZodTypeAny } from 'zod';
import type { AnyRouteSpec } from './route-spec.js';
import { errorSchema } from './schemas.js';

/** The OpenAPI document's `info`. */
export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

const errorResponse = (description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
});

/**
 * Builds the OpenAPI 3.0 document from the same route specs the router mounts, so the document cannot drift
 * from what the server validates. Writes carry the bearer security scheme; every route lists the error
 * answers it can give.
 * @example const document = buildOpenApiDocument(routes, { title: 'recsys', version: '0.1.0' });
 */
export function buildOpenApiDocument(
  specs: readonly AnyRouteSpec[],
  info: ApiInfo,
): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'RECSYS_API_TOKEN (npm start writes one to <data dir>/api-token)',
  });
  for (const spec of specs) {
    if (spec.hidden) continue;
    const { params, query, body, response } = spec.validate;
    const contentType = spec.contentType ?? 'application/json';
    const responses: RouteConfig['responses'] = {
      [String(spec.status ?? 200)]: {
        description: spec.summary,
        content: {
          [contentType]: { schema: (response as ZodTypeAny | undefined) ?? { type: 'string' } },
        },
      },
    };
    if (params || query || body) responses['400'] = errorResponse('a parameter or the body is invalid');
    if (spec.auth) responses['401'] = errorResponse('missing or wrong bearer token');
    if (body) responses['413'] = errorResponse('body too large');
    for (const error of spec.errors ?? []) responses[String(error.status)] = errorResponse(error.description);
    responses['500'] = errorResponse('internal error');
    registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      operationId: operationId(spec),
      ...(spec.auth ? { security: [{ bearerAuth: [] }] } : {}),
      request: {
        ...(params ? { params: params as unknown as AnyZodObject } : {}),
        ...(query ? { query: query as unknown as AnyZodObject } : {}),
        ...(body
          ? {
              body: {
                required: true,
                content: { 'application/json': { schema: body as ZodTypeAny } },
              },
            }
          : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description ? { description: info.description } : {}),
    },
  });
}

/** `get /users/{id}/recommendations` -> `getUsersIdRecommendations`. */
function operationId(spec: AnyRouteSpec): string {
  const words = spec.path
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/[{}]/g, ''))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1));
  return `${spec.method}${words.join('')}`;
}
