/**
 * Issue 15.1 and 15.3 over real HTTP: `GET /recommendations` (picks, genres, diversity), `diversity` on
 * `GET /users/{id}/recommendations`, `GET /genres` and `GET /movies?genre=`, on PostgreSQL and PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { loadArtifact } from '../../src/artifacts/load.js';
import { topKRow } from '../../src/core/types.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createStore } from '../../src/storage/store.js';
import { describeEachEngine } from '../db/support.js';
import { call, type Json, ml100kWithArtifact, seed, startTestServer, TEST_MODEL } from './support.js';

const TOKEN = 'cold-start-test-token';

let tables: DatasetTables;
let artifactsDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('coldstart');
  cleanups.push(fixture.remove);
  ({ tables, artifactsDir } = fixture);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** Positives (rating >= 4) per movie, from the raw tables. */
function positives(): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < tables.ratings.length; i++) {
    if ((tables.ratings.rating?.[i] ?? 5) >= 4) {
      const id = tables.ratings.movieId[i] as number;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

/** Most popular first (ties to the lower id), optionally only movies with one of `genres`. */
function popularMovies(k: number, exclude: number[] = [], genres: string[] = []): number[] {
  const genreOf = new Map(tables.movies.map((m) => [m.movieId, m.genres]));
  return [...positives().entries()]
    .filter(([id]) => !exclude.includes(id))
    .filter(([id]) => genres.length === 0 || (genreOf.get(id) ?? []).some((g) => genres.includes(g)))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k)
    .map(([id]) => id);
}

/** What the served model folds in for 5-star picks (picks excluded), raw ids. */
async function modelAnswer(picks: number[], k: number): Promise<number[]> {
  const { model } = await loadArtifact(createStore(artifactsDir), TEST_MODEL);
  try {
    const items = Int32Array.from(picks.map((id) => model.items.toDense(id)).sort((a, b) => a - b));
    const top = await model.recommendForHistories(
      [{ items, values: new Float32Array(items.length).fill(1) }],
      k,
      {
        exclude: {
          nRows: 1,
          nCols: model.items.size,
          indptr: Int32Array.of(0, items.length),
          indices: items,
          values: new Float32Array(items.length).fill(1),
        },
      },
    );
    return topKRow(top, 0).ids.map((dense) => model.items.toRaw(dense));
  } finally {
    model.dispose();
  }
}

const ids = (body: Json): number[] => body.movies.map((m: Json) => m.id);
const meanPopularity = (list: number[]): number => {
  const counts = positives();
  return list.reduce((sum, id) => sum + (counts.get(id) ?? 0), 0) / list.length;
};

function expectFieldError(response: { status: number; body: Json }, field: string, mentions = field): void {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.error.code).toBe('VALIDATION');
  expect(response.body.error.field).toBe(field);
  expect(response.body.error.message).toContain(mentions);
}

// Toy Story, Star Wars, Return of the Jedi (ml-100k ids).
const PICKS = [1, 50, 181];

describeEachEngine('cold start from a few picks: GET /recommendations', (engine) => {
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

  it('picks alone: exactly the fold-in ranking of 5-star picks, never a pick, same body as user recommendations', async () => {
    const { status, body } = await call(`${url}/recommendations?movies=${PICKS.join(',')}&k=20`);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['movies']);
    for (const movie of body.movies) expect(Object.keys(movie).sort()).toEqual(['genre', 'id', 'title']);
    expect(ids(body)).toEqual(await modelAnswer(PICKS, 20));
    for (const pick of PICKS) expect(ids(body)).not.toContain(pick);
    // diversity=0 is the same answer.
    expect(
      ids((await call(`${url}/recommendations?movies=${PICKS.join(',')}&k=20&diversity=0`)).body),
    ).toEqual(ids(body));
  });

  it('genres alone: the most popular movies of those genres; neither: the popular list', async () => {
    const comedy = await call(`${url}/recommendations?genres=Comedy,Horror&k=15`);
    expect(comedy.status).toBe(200);
    expect(ids(comedy.body)).toEqual(popularMovies(15, [], ['Comedy', 'Horror']));
    const neither = await call(`${url}/recommendations?k=10`);
    expect(ids(neither.body)).toEqual(popularMovies(10));
  });

  it('picks and genres: a blend that differs from either, keeps the picks out and favours the genres', async () => {
    const picksOnly = ids((await call(`${url}/recommendations?movies=${PICKS.join(',')}&k=20`)).body);
    const blended = ids(
      (await call(`${url}/recommendations?movies=${PICKS.join(',')}&genres=Comedy&k=20`)).body,
    );
    expect(blended).not.toEqual(picksOnly);
    expect(blended).not.toEqual(popularMovies(20, PICKS, ['Comedy']));
    for (const pick of PICKS) expect(blended).not.toContain(pick);
    const genreOf = new Map(tables.movies.map((m) => [m.movieId, m.genres]));
    const comedies = (list: number[]) => list.filter((id) => genreOf.get(id)?.includes('Comedy')).length;
    expect(comedies(blended)).toBeGreaterThan(comedies(picksOnly));
  });

  it('diversity > 0 changes the list and lowers its mean popularity', async () => {
    const base = `${url}/recommendations?movies=${PICKS.join(',')}&k=10`;
    const plain = ids((await call(base)).body);
    const diverse = ids((await call(`${base}&diversity=0.5`)).body);
    expect(diverse).toHaveLength(10);
    expect(diverse).not.toEqual(plain);
    const most = ids((await call(`${base}&diversity=1`)).body);
    expect(meanPopularity(most)).toBeLessThan(meanPopularity(plain));
    for (const pick of PICKS) expect(most).not.toContain(pick);
    for (const pick of PICKS) expect(diverse).not.toContain(pick);
  });

  describe('bad input: 400 naming the field', () => {
    it('unknown movie ids, named', async () => {
      const response = await call(`${url}/recommendations?movies=1,999999,888888`);
      expectFieldError(response, 'movies', '999999, 888888');
    });
    it.each(['1,x', '1,,2', '-1', '1.5', ',', '1 2'])('malformed movies=%j', async (movies) => {
      expectFieldError(await call(`${url}/recommendations?movies=${encodeURIComponent(movies)}`), 'movies');
    });
    it('more than 50 picks', async () => {
      const many = Array.from({ length: 51 }, (_, i) => i + 1).join(',');
      expectFieldError(await call(`${url}/recommendations?movies=${many}`), 'movies', 'at most 50');
    });
    it('an unknown genre, listing the valid ones', async () => {
      const response = await call(`${url}/recommendations?movies=1&genres=Comedy,Nope`);
      expectFieldError(response, 'genres', '"Nope"');
      expect(response.body.error.message).toContain('Sci-Fi');
    });
    it.each(['2', '-0.1', '1.5', 'x', '', '1e-1'])('diversity=%j', async (diversity) => {
      expectFieldError(await call(`${url}/recommendations?movies=1&diversity=${diversity}`), 'diversity');
    });
    it.each(['0', '101', 'x'])('k=%j', async (k) => {
      expectFieldError(await call(`${url}/recommendations?movies=1&k=${k}`), 'k');
    });
  });

  describe('diversity on GET /users/{id}/recommendations', () => {
    it('0 (and absent) is the old answer; 0.5 changes it, 1 lowers mean popularity, never a rated movie', async () => {
      const plain = ids((await call(`${url}/users/3/recommendations?k=10`)).body);
      expect(ids((await call(`${url}/users/3/recommendations?k=10&diversity=0`)).body)).toEqual(plain);
      const diverse = ids((await call(`${url}/users/3/recommendations?k=10&diversity=0.5`)).body);
      expect(diverse).toHaveLength(10);
      expect(diverse).not.toEqual(plain);
      const most = ids((await call(`${url}/users/3/recommendations?k=10&diversity=1`)).body);
      expect(meanPopularity(most)).toBeLessThan(meanPopularity(plain));
      const rated = new Set<number>();
      for (let i = 0; i < tables.ratings.length; i++) {
        if (tables.ratings.userId[i] === 3) rated.add(tables.ratings.movieId[i] as number);
      }
      expect(diverse.filter((id) => rated.has(id))).toEqual([]);
      // A second call answers the same (the cached ranking is reused, not changed).
      expect(ids((await call(`${url}/users/3/recommendations?k=10`)).body)).toEqual(plain);
    });
    it('diversity=2 is a 400 naming diversity', async () => {
      expectFieldError(await call(`${url}/users/3/recommendations?diversity=2`), 'diversity');
    });
  });

  describe('genres for the page', () => {
    it('GET /genres lists the catalogue genres with counts', async () => {
      const { status, body } = await call(`${url}/genres`);
      expect(status).toBe(200);
      const comedy = tables.movies.filter((m) => m.genres.includes('Comedy')).length;
      expect(body.genres).toContainEqual({ name: 'Comedy', count: comedy });
      const names = body.genres.map((g: Json) => g.name);
      expect(names).toEqual([...names].sort());
    });
    it('GET /movies?genre= gives that genre, most rated first; an unknown genre is a 400 naming genre', async () => {
      const { status, body } = await call(`${url}/movies?genre=Sci-Fi&limit=5`);
      expect(status).toBe(200);
      expect(body.movies).toHaveLength(5);
      for (const movie of body.movies) expect(movie.genre.split('|')).toContain('Sci-Fi');
      expect(body.movies[0].id).toBe(50); // Star Wars: the most rated Sci-Fi movie of ml-100k
      expectFieldError(await call(`${url}/movies?genre=Nope`), 'genre', 'Comedy');
    });
  });
});
