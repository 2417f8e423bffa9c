import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from '../zod.js';
import { NotFoundError } from '../../core/errors.js';
import { Reply, defineRoute, type AnyRouteSpec } from '../route-spec.js';

/** Files of swagger-ui-dist the explorer page loads, with their content types. Nothing comes from a CDN. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>recsys API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/docs/init.js" charset="UTF-8"></script>
  </body>
</html>
`;

const INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

const assetDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The OpenAPI document and the API explorer (Swagger UI from the installed swagger-ui-dist package, served
 * from memory after the first read).
 * @example mountRoutes(app, docsRoutes(() => document), options);
 */
export function docsRoutes(document: () => unknown): AnyRouteSpec[] {
  const cache = new Map<string, Buffer>();
  const asset = async (name: string): Promise<Buffer> => {
    const cached = cache.get(name);
    if (cached) return cached;
    const bytes = await readFile(path.join(assetDir, name));
    cache.set(name, bytes);
    return bytes;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.0 document',
      tags: ['docs'],
      validate: {},
      handler: () => document(),
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      summary: 'API explorer (Swagger UI, local assets)',
      tags: ['docs'],
      contentType: 'text/html; charset=utf-8',
      validate: {},
      handler: () => PAGE,
    }),
    defineRoute({
      method: 'get',
      path: '/docs/{asset}',
      summary: 'API explorer assets',
      tags: ['docs'],
      hidden: true,
      validate: { params: z.object({ asset: z.string() }) },
      handler: async ({ params }) => {
        const cacheControl = { 'Cache-Control': 'public, max-age=86400' };
        if (params.asset === 'init.js') {
          return new Reply<string | Buffer>(200, INIT, 'application/javascript; charset=utf-8', cacheControl);
        }
        const type = ASSETS[params.asset];
        if (!type) throw new NotFoundError('asset', params.asset);
        return new Reply<string | Buffer>(200, await asset(params.asset), type, cacheControl);
      },
    }),
  ];
}
