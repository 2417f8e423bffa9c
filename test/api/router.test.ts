import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestContext } from '../../src/api/middleware/request-context.js';
import { mountRoutes } from '../../src/api/mount-routes.js';
import { defineRoute, Reply } from '../../src/api/route-spec.js';
import { integerString } from '../../src/api/schemas.js';
import { z } from '../../src/api/zod.js';
import { createLogger } from '../../src/core/log.js';
import { call } from './support.js';

/** The adapter on its own (specs -> koa-zod-router on @koa/router): validated handlers and JSON errors out. */
describe('route specs mounted through koa-zod-router', () => {
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

  const logged: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'error',
    json: true,
    stream: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    }),
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  beforeAll(async () => {
    const app = new Koa();
    app.use(requestContext(logger, undefined, { bodyLimitBytes: 1024 }));
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

  it('answers 500 without details when a handler breaks its response schema, and logs where it broke', async () => {
    const response = await call(`${url}/things/7`, { headers: { 'x-request-id': 'off-schema-7' } });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
    const line = logged.find((l) => l.requestId === 'off-schema-7');
    expect(line?.msg).toBe('request failed');
    expect(line?.error).toContain('response of GET /things/{id} breaks its schema at id');
  });

  it('checks the token before validation, then names the invalid field; a Reply sets status and headers', async () => {
    expect((await call(`${url}/things`, { method: 'POST', body: { name: '' } })).status).toBe(401);
    const invalid = await call(`${url}/things`, { method: 'POST', token: 'token', body: { name: '' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.field).toBe('name');
    // koa-zod-router parses the body before a route's `pre`: without a token, a body that is not JSON is a
    // 400 naming the body (docs/api.md); a well-formed one is a 401 before any field is checked (above).
    const broken = await call(`${url}/things`, {
      method: 'POST',
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.field).toBe('body');
    const made = await call(`${url}/things`, { method: 'POST', token: 'token', body: { name: 'box' } });
    expect(made.status).toBe(202);
    expect(made.body).toEqual({ made: 'box' });
    expect(made.headers.get('x-made')).toBe('yes');
  });

  it('validates a frozen body on every answer but renders its JSON once', async () => {
    // Every JSON text the server renders for a body shaped like {id}: Koa stringifies object bodies, the
    // adapter stringifies a frozen body once and answers the bytes after that.
    const stringify = JSON.stringify;
    const renderedIds: unknown[] = [];
    vi.spyOn(JSON, 'stringify').mockImplementation(
      (value: unknown, replacer?: (string | number)[] | null, space?: string | number) => {
        if (typeof value === 'object' && value !== null && Object.keys(value).join() === 'id') {
          renderedIds.push((value as { id: unknown }).id);
        }
        return stringify(value, replacer, space);
      },
    );
    for (let i = 0; i < 3; i++) {
      const one = await call(`${url}/frozen/1`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ id: 1 });
      expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    }
    // The key the schema does not name is stripped from the rendered JSON, the first time and after.
    expect((await call(`${url}/frozen/3`)).body).toEqual({ id: 3 });
    expect((await call(`${url}/frozen/3`)).body).toEqual({ id: 3 });
    // Off-schema: refused every time, so never rendered and never cached.
    expect((await call(`${url}/frozen/2`)).status).toBe(500);
    expect((await call(`${url}/frozen/2`)).status).toBe(500);
    expect(rendered).toEqual([1, 1, 1, 3, 3, 2, 2]);
    expect(renderedIds).toEqual([1, 3]);
  });

  it("matches with @koa/router's defaults: any letter case, an optional trailing slash, HEAD through the GET route", async () => {
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
    expect(wrong.body.error.code).toBe('NOT_SUPPORTED');
    // @koa/router lists HEAD first (it registers HEAD beside every GET).
    expect(wrong.headers.get('allow')).toBe('HEAD, GET');
    const post = await call(`${url}/things`, { method: 'PUT' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('POST');
  });

  it("answers OPTIONS with the path's methods, and a method the router does not know with a JSON 501", async () => {
    const options = await fetch(`${url}/things/1`, { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toBe('HEAD, GET');
    const unknown = await call(`${url}/things/1`, { method: 'PROPFIND' });
    expect(unknown.status).toBe(501);
    expect(unknown.body.error.code).toBe('NOT_SUPPORTED');
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
