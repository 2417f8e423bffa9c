import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { describeEachEngine } from '../db/support.js';
import { call, type Json, ml100kWithArtifact, seed, startTestServer } from './support.js';

const TOKEN = 'contract-test-token';

let tables: DatasetTables;
let artifactsDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('api');
  cleanups.push(fixture.remove);
  ({ tables, artifactsDir } = fixture);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const BAD_IDS = ['-1', '0', '1.5', '99999999999', '2147483648', 'abc', '1e3', '0x10', '%20'];
const BAD_KS = ['0', '101', '-1', '1.5', '2147483648', 'x', '', '1e1'];

function expectFieldError(response: { status: number; body: Json }, field: string): void {
  expect(response.status).toBe(400);
  expect(response.body.error.code).toBe('VALIDATION');
  expect(response.body.error.field).toBe(field);
  expect(response.body.error.message).toContain(field);
}

function ratedBy(userId: number): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < tables.ratings.length; i++) {
    if (tables.ratings.userId[i] === userId) out.add(tables.ratings.movieId[i] as number);
  }
  return out;
}

describeEachEngine('REST API contract', (engine) => {
  let server: ApiServer;
  let url: string;

  beforeAll(async () => {
    await seed(engine.db(), tables);
    server = await startTestServer({ db: engine.db(), artifactsDir, apiToken: TOKEN });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('GET /users/{id}/recommendations', () => {
    it('answers {"movies":[{id,title,genre}]} with k movies (default 10), none the user rated', async () => {
      const { status, body } = await call(`${url}/users/1/recommendations`);
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual(['movies']);
      expect(body.movies).toHaveLength(10);
      const titles = new Map(tables.movies.map((m) => [m.movieId, m]));
      for (const movie of body.movies) {
        expect(Object.keys(movie).sort()).toEqual(['genre', 'id', 'title']);
        expect(movie.title).toBe(titles.get(movie.id)?.title);
        expect(movie.genre).toBe(titles.get(movie.id)?.genres.join('|'));
      }
      const rated = ratedBy(1);
      expect(body.movies.filter((m: Json) => rated.has(m.id))).toEqual([]);
      expect(new Set(body.movies.map((m: Json) => m.id)).size).toBe(10);
    });

    it('honours k from 1 to 100, and the shorter list is the head of the longer', async () => {
      const one = await call(`${url}/users/2/recommendations?k=1`);
      const hundred = await call(`${url}/users/2/recommendations?k=100`);
      expect(one.body.movies).toHaveLength(1);
      expect(hundred.body.movies).toHaveLength(100);
      expect(hundred.body.movies[0]).toEqual(one.body.movies[0]);
    });

    it.each(BAD_IDS)('rejects id %j with 400 naming id', async (id) => {
      expectFieldError(await call(`${url}/users/${id}/recommendations`), 'id');
    });

    it.each(BAD_KS)('rejects k=%j with 400 naming k', async (k) => {
      expectFieldError(await call(`${url}/users/1/recommendations?k=${k}`), 'k');
    });

    it('answers 404 with a JSON error for a user not in the database', async () => {
      const { status, body } = await call(`${url}/users/999999/recommendations`);
      expect(status).toBe(404);
      expect(body.error).toEqual({ code: 'NOT_FOUND', message: 'user 999999 not found' });
    });
  });

  describe('movies', () => {
    it('GET /movies/{id} gives the movie; 404 when unknown; 400 for a bad id', async () => {
      const { status, body } = await call(`${url}/movies/1`);
      expect(status).toBe(200);
      expect(body).toEqual({
        id: 1,
        title: 'Toy Story (1995)',
        genre: "Animation|Children's|Comedy",
        year: 1995,
      });
      expect((await call(`${url}/movies/999999`)).status).toBe(404);
      expectFieldError(await call(`${url}/movies/-5`), 'id');
    });

    it('GET /movies/{id}/similar gives k other movies; 404 when unknown; 400 for a bad k', async () => {
      const { status, body } = await call(`${url}/movies/1/similar?k=5`);
      expect(status).toBe(200);
      expect(body.movies).toHaveLength(5);
      expect(body.movies.map((m: Json) => m.id)).not.toContain(1);
      for (const movie of body.movies) expect(Object.keys(movie).sort()).toEqual(['genre', 'id', 'title']);
      expect((await call(`${url}/movies/999999/similar`)).status).toBe(404);
      expectFieldError(await call(`${url}/movies/1/similar?k=500`), 'k');
    });

    it('GET /movies?search= finds titles case-insensitively within the limit', async () => {
      const { status, body } = await call(`${url}/movies?search=STAR%20WARS&limit=3`);
      expect(status).toBe(200);
      expect(body.movies.length).toBeGreaterThan(0);
      expect(body.movies.length).toBeLessThanOrEqual(3);
      for (const movie of body.movies) expect(movie.title.toLowerCase()).toContain('star wars');
      expectFieldError(await call(`${url}/movies?search=x&limit=0`), 'limit');
    });
  });

  describe('ratings and users', () => {
    it("GET /users/{id}/ratings lists the user's ratings newest first; 404 for an unknown user", async () => {
      const { status, body } = await call(`${url}/users/5/ratings`);
      expect(status).toBe(200);
      expect(body.ratings).toHaveLength(ratedBy(5).size);
      const times = body.ratings.map((r: Json) => Date.parse(r.ratedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect((await call(`${url}/users/999999/ratings`)).status).toBe(404);
      expectFieldError(await call(`${url}/users/5/ratings?limit=-1`), 'limit');
    });

    it('writes need the bearer token: 401 without it, with a wrong one, or with another scheme', async () => {
      const body = { movieId: 1, rating: 4 };
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Basic ${TOKEN}` },
      ];
      for (const headers of attempts) {
        const response = await call(`${url}/users/3/ratings`, { method: 'POST', body, headers });
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('UNAUTHORIZED');
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect((await call(`${url}/users`, { method: 'POST' })).status).toBe(401);
      expect((await call(`${url}/admin/reload`, { method: 'POST', token: 'nope' })).status).toBe(401);
    });

    it.each([
      [{ movieId: 1, rating: 6 }, 'rating'],
      [{ movieId: 1, rating: 0 }, 'rating'],
      [{ movieId: 1, rating: 4.3 }, 'rating'],
      [{ movieId: 1, rating: '4' }, 'rating'],
      [{ rating: 4 }, 'movieId'],
      [{ movieId: -1, rating: 4 }, 'movieId'],
      [{ movieId: 1.5, rating: 4 }, 'movieId'],
      [{ movieId: 99999999999, rating: 4 }, 'movieId'],
      [{ movieId: 1, rating: 4, extra: true }, 'body'],
    ])('POST /users/{id}/ratings rejects %j with 400 naming %s', async (body, field) => {
      expectFieldError(await call(`${url}/users/3/ratings`, { method: 'POST', token: TOKEN, body }), field);
    });

    it('POST /users/{id}/ratings: 404 for an unknown user or movie, 400 naming body for broken JSON', async () => {
      const unknownUser = await call(`${url}/users/999999/ratings`, {
        method: 'POST',
        token: TOKEN,
        body: { movieId: 1, rating: 4 },
      });
      expect(unknownUser.status).toBe(404);
      const unknownMovie = await call(`${url}/users/3/ratings`, {
        method: 'POST',
        token: TOKEN,
        body: { movieId: 999999, rating: 4 },
      });
      expect(unknownMovie.status).toBe(404);
      expectFieldError(
        await call(`${url}/users/3/ratings`, {
          method: 'POST',
          token: TOKEN,
          rawBody: '{"movieId": 1,',
          headers: { 'content-type': 'application/json' },
        }),
        'body',
      );
    });

    it('refuses oversized bodies with 413, declared or streamed', async () => {
      const big = { movieId: 1, rating: 4, padding: 'x'.repeat(64 * 1024) };
      const declared = await call(`${url}/users/3/ratings`, { method: 'POST', token: TOKEN, body: big });
      expect(declared.status).toBe(413);
      expect(declared.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      // No Content-Length: the body parser's own limit stops it.
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify(big)));
          controller.close();
        },
      });
      const streamed = await fetch(`${url}/users/3/ratings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: chunks,
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as Json).error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('POST /users creates a user who gets popular movies until they rate something', async () => {
      const created = await call(`${url}/users`, {
        method: 'POST',
        token: TOKEN,
        body: { gender: 'F', age: 30 },
      });
      expect(created.status).toBe(201);
      expect(created.body.id).toBe(944); // ml-100k's users are 1..943
      const ratings = await call(`${url}/users/${created.body.id}/ratings`);
      expect(ratings.body).toEqual({ ratings: [] });
      const recommendations = await call(`${url}/users/${created.body.id}/recommendations?k=5`);
      expect(recommendations.status).toBe(200);
      expect(recommendations.body.movies).toHaveLength(5);
      expectFieldError(
        await call(`${url}/users`, { method: 'POST', token: TOKEN, body: { age: 'old' } }),
        'age',
      );
    });
  });

  describe('errors, ids, operations', () => {
    it('unknown routes get a JSON 404 and a known path with another method a 405', async () => {
      const missing = await call(`${url}/nothing/here`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      const method = await call(`${url}/health`, { method: 'DELETE' });
      expect(method.status).toBe(405);
    });

    it("echoes the caller's X-Request-Id and makes one when absent or unsafe", async () => {
      const given = await call(`${url}/health`, { headers: { 'x-request-id': 'abc-123' } });
      expect(given.headers.get('x-request-id')).toBe('abc-123');
      const made = await call(`${url}/health`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('GET /health and GET /ready answer 200 with the loaded model', async () => {
      expect(await call(`${url}/health`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      const ready = await call(`${url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ready',
        database: true,
        model: { kind: server.service.model()?.kind },
      });
    });

    it('GET /metrics exposes request counts and latency per route and the model version', async () => {
      await call(`${url}/users/1/recommendations?k=3`);
      const { status, headers, body } = await call(`${url}/metrics`);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toContain('text/plain');
      expect(body).toMatch(
        /http_requests_total\{method="GET",route="\/users\/\{id\}\/recommendations",status="200"\} \d+/,
      );
      expect(body).toMatch(
        /http_request_duration_seconds_bucket\{le="[0-9.]+",method="GET",route="\/users\/\{id\}\/recommendations"\}/,
      );
      const model = server.service.model();
      expect(body).toContain(`recsys_model_info{kind="${model?.kind}",version="${model?.version}"} 1`);
    });
  });
});
