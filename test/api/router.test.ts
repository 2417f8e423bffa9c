import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../../src/api/middleware/request-context.js';
import { defineRoute, Reply } from '../../src/api/route-spec.js';
import { mountRoutes } from '../../src/api/router.js';
import { integerString } from '../../src/api/schemas.js';
import { z } from '../../src/api/zod.js';
import { silentLogger } from '../../src/core/log.js';
import { call } from './support.js';

/** The router adapter on its own: specs in, validated handlers and JSON errors out, over real HTTP. */
describe('route specs mounted through the router adapter', () => {
  let server: http.Server;
  let url: string;
  const seen: unknown[] = [];
  const rendered: number[] = [];
  // Frozen bodies are checked and serialized once per object; 2 is off-schema, 3 carries a key to strip.
  const frozen: Record<number, object> = {
    1: Object.freeze({ id: 1 }),
    2: Object.freeze({ id: 'two' }),
    3: Object.freeze({ id: 3, secret: 'x' }),
  };

  beforeAll(async () => {
    const app = new Koa();
    app.use(requestContext(silentLogger));
    mountRoutes(
      app,
      [
        defineRoute({
          method: 'get',
          path: '/things/{id}',
          summary: 'a thing',
          tags: ['test'],
          validate: {
            params: z.object({ id: integerString(1, 10) }),
            query: z.object({ q: z.string().optional() }),
            response: z.object({ id: z.number() }),
          },
          handler: ({ params, query }) => {
            seen.push({ params, query });
            // Extra keys are stripped by the response schema; id 7 answers off-schema on purpose.
            return params.id === 7 ? ({ id: 'seven' } as never) : ({ id: params.id, secret: 'x' } as never);
          },
        }),
        defineRoute({
          method: 'get',
          path: '/frozen/{id}',
          summary: 'a frozen answer',
          tags: ['test'],
          validate: {
            params: z.object({ id: integerString(1, 10) }),
            response: z.object({ id: z.number() }),
          },
          handler: ({ params }) => {
            rendered.push(params.id);
            return frozen[params.id] as never;
          },
        }),
        defineRoute({
          method: 'post',
          path: '/things',
          summary: 'make a thing',
          tags: ['test'],
          auth: true,
          status: 201,
          validate: { body: z.object({ name: z.string().min(1) }).strict() },
          handler: ({ body }) => new Reply(202, { made: body.name }, undefined, { 'X-Made': 'yes' }),
        }),
      ],
      { bodyLimitBytes: 1024, apiToken: 'token' },
    );
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands the handler parsed values and strips what the response schema does not name', async () => {
    const response = await call(`${url}/things/3?q=hello&other=1`);
    expect(response).toMatchObject({ status: 200, body: { id: 3 } });
    expect(response.body).toEqual({ id: 3 });
    expect(seen.at(-1)).toMatchObject({ params: { id: 3 }, query: { q: 'hello' } });
  });

  it('answers 500 without details when a handler breaks its response schema', async () => {
    const response = await call(`${url}/things/7`);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
  });

  it('checks the token before the body, then names the invalid field; a Reply sets status and headers', async () => {
    expect((await call(`${url}/things`, { method: 'POST', body: { name: '' } })).status).toBe(401);
    const invalid = await call(`${url}/things`, { method: 'POST', token: 'token', body: { name: '' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.field).toBe('name');
    const made = await call(`${url}/things`, { method: 'POST', token: 'token', body: { name: 'box' } });
    expect(made.status).toBe(202);
    expect(made.body).toEqual({ made: 'box' });
    expect(made.headers.get('x-made')).toBe('yes');
  });

  it('checks a frozen body like any other, and answers the same JSON for it every time', async () => {
    for (let i = 0; i < 3; i++) {
      const one = await call(`${url}/frozen/1`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ id: 1 });
      expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect((await call(`${url}/frozen/3`)).body).toEqual({ id: 3 });
    expect((await call(`${url}/frozen/3`)).body).toEqual({ id: 3 });
    expect((await call(`${url}/frozen/2`)).status).toBe(500);
    expect((await call(`${url}/frozen/2`)).status).toBe(500);
    expect(rendered).toEqual([1, 1, 1, 3, 3, 2, 2]);
  });

  it('matches as @koa/router did: any letter case, an optional trailing slash, HEAD through the GET route', async () => {
    expect(await call(`${url}/things/4/`)).toMatchObject({ status: 200, body: { id: 4 } });
    expect(await call(`${url}/THINGS/5`)).toMatchObject({ status: 200, body: { id: 5 } });
    const head = await fetch(`${url}/things/6`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await head.text()).toBe('');
    expect((await call(`${url}/things/4/extra`)).status).toBe(404);
    expect((await call(`${url}/things`)).status).toBe(405);
  });

  it('percent-decodes params, and a malformed encoding is a 400 naming the param, not a crash', async () => {
    expect(await call(`${url}/things/%33`)).toMatchObject({ status: 200, body: { id: 3 } });
    const malformed = await call(`${url}/things/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.field).toBe('id');
  });

  it('answers 404 for unknown paths and 405 with an Allow header for a known path with another method', async () => {
    const missing = await call(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /nowhere' });
    const wrong = await call(`${url}/things/1`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    const post = await call(`${url}/things`, { method: 'PUT' });
    expect(post.headers.get('allow')).toBe('POST');
  });

  it('refuses a declared body over the limit with 413 before the bearer check or the route', async () => {
    const response = await call(`${url}/things`, { method: 'POST', body: { name: 'x'.repeat(2000) } });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('validates with zod 3 for real (a bad id is a 400 naming the field)', async () => {
    const response = await call(`${url}/things/11`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION', field: 'id' });
  });
});
