/**
 * Issue 15.2 over real HTTP on PostgreSQL and PGlite: `POST /movies` (token, validation, nothing stored on bad
 * input), and a new movie served before the next training: similar movies by genre, placed by the genre rule
 * in users' and visitors' lists, and, once trained users rate it, placed by its folded-in ALS item vector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { describeEachEngine } from '../db/support.js';
import { call, type Json, ml100kWithArtifact, seed, startTestServer } from './support.js';

const TOKEN = 'new-movies-test-token';

let tables: DatasetTables;
let artifactsDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('newmovies');
  cleanups.push(fixture.remove);
  ({ tables, artifactsDir } = fixture);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const ids = (body: Json): number[] => body.movies.map((m: Json) => m.id);

/** ml-100k movies whose only genre is `genre`, most rated first. */
function pureMovies(genre: string, n: number): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < tables.ratings.length; i++) {
    const id = tables.ratings.movieId[i] as number;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return tables.movies
    .filter((m) => m.genres.length === 1 && m.genres[0] === genre)
    .sort((a, b) => (counts.get(b.movieId) ?? 0) - (counts.get(a.movieId) ?? 0))
    .slice(0, n)
    .map((m) => m.movieId);
}

/** Users who rated every one of `movies` 4 or 5. */
function fansOf(movies: number[]): number[] {
  const liked = new Map<number, number>();
  for (let i = 0; i < tables.ratings.length; i++) {
    if (movies.includes(tables.ratings.movieId[i] as number) && (tables.ratings.rating?.[i] ?? 0) >= 4) {
      const user = tables.ratings.userId[i] as number;
      liked.set(user, (liked.get(user) ?? 0) + 1);
    }
  }
  return [...liked.entries()].filter(([, n]) => n === movies.length).map(([user]) => user);
}

const STAR_WARS = [50, 172, 181];

describeEachEngine('new movies: POST /movies and serving them before the next training', (engine) => {
  let server: ApiServer;
  let url: string;
  const movieCount = async (): Promise<number> =>
    Number((await engine.db().query<{ n: number }>('SELECT count(*)::int AS n FROM movies'))[0]?.n);

  beforeAll(async () => {
    await seed(engine.db(), tables);
    server = await startTestServer({ db: engine.db(), artifactsDir, apiToken: TOKEN, ttlMs: 0 });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('bad input stores nothing', () => {
    it('401 without the token or with a wrong one', async () => {
      const before = await movieCount();
      const body = { title: 'Nobody (2031)', genres: ['Comedy'] };
      expect((await call(`${url}/movies`, { method: 'POST', body })).status).toBe(401);
      expect((await call(`${url}/movies`, { method: 'POST', body, token: 'wrong' })).status).toBe(401);
      expect(await movieCount()).toBe(before);
    });

    it.each([
      ['empty title', { title: '', genres: ['Comedy'] }, 'title'],
      ['blank title', { title: '   ', genres: ['Comedy'] }, 'title'],
      ['duplicate title', { title: 'toy story (1995)', genres: ['Comedy'] }, 'title'],
      ['unknown genre', { title: 'X (2031)', genres: ['Comedy', 'Nope'] }, 'genres'],
      ['no genres', { title: 'X (2031)', genres: [] }, 'genres'],
      ['missing genres', { title: 'X (2031)' }, 'genres'],
      ['bad year', { title: 'X (2031)', genres: ['Comedy'], year: 1500 }, 'year'],
      ['unknown field', { title: 'X (2031)', genres: ['Comedy'], rating: 5 }, 'body'],
    ])('%s: 400 naming %s', async (_, body, field) => {
      const before = await movieCount();
      const response = await call(`${url}/movies`, { method: 'POST', token: TOKEN, body });
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.error.field).toBe(field);
      if (JSON.stringify(body).includes('Nope')) {
        expect(response.body.error.message).toContain('Sci-Fi');
      }
      expect(await movieCount()).toBe(before);
    });
  });

  describe('a new comedy', () => {
    let id: number;
    const comedies = (): number[] => pureMovies('Comedy', 3);

    beforeAll(async () => {
      const response = await call(`${url}/movies`, {
        method: 'POST',
        token: TOKEN,
        body: { title: 'Laugh Track (2031)', genres: ['Comedy'], year: 2031 },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      id = response.body.id;
    });

    it('is stored with the next free id and served at once', async () => {
      expect(id).toBe(1683);
      const [row] = await engine
        .db()
        .query<Json>('SELECT title, genres, year FROM movies WHERE id = $1', [id]);
      expect(row).toEqual({ title: 'Laugh Track (2031)', genres: 'Comedy', year: 2031 });
      expect((await call(`${url}/movies/${id}`)).body).toEqual({
        id,
        title: 'Laugh Track (2031)',
        genre: 'Comedy',
        year: 2031,
      });
      expect(ids((await call(`${url}/movies?search=laugh%20track`)).body)).toEqual([id]);
    });

    it('has similar movies of its genre, pure comedies first, instead of none', async () => {
      const { status, body } = await call(`${url}/movies/${id}/similar?k=5`);
      expect(status).toBe(200);
      expect(body.movies).toHaveLength(5);
      for (const movie of body.movies) expect(movie.genre).toBe('Comedy');
    });

    it('takes rank 5 for a visitor who picked comedies or asked for Comedy, and stays out for a Star Wars fan', async () => {
      expect(ids((await call(`${url}/recommendations?movies=${comedies().join(',')}`)).body)[4]).toBe(id);
      expect(ids((await call(`${url}/recommendations?genres=Comedy`)).body)[4]).toBe(id);
      expect(
        ids((await call(`${url}/recommendations?movies=${STAR_WARS.join(',')}&k=100`)).body),
      ).not.toContain(id);
    });

    it("takes rank 5 in a comedy lover's own recommendations, and never after they rated it", async () => {
      const { body: user } = await call(`${url}/users`, { method: 'POST', token: TOKEN });
      for (const movieId of comedies()) {
        await call(`${url}/users/${user.id}/ratings`, {
          method: 'POST',
          token: TOKEN,
          body: { movieId, rating: 5 },
        });
      }
      expect(ids((await call(`${url}/users/${user.id}/recommendations`)).body)[4]).toBe(id);
      await call(`${url}/users/${user.id}/ratings`, {
        method: 'POST',
        token: TOKEN,
        body: { movieId: id, rating: 4 },
      });
      expect(ids((await call(`${url}/users/${user.id}/recommendations?k=100`)).body)).not.toContain(id);
    });
  });

  it('once trained users rate it, its ALS item vector is folded in and it is placed by score', async () => {
    const created = await call(`${url}/movies`, {
      method: 'POST',
      token: TOKEN,
      body: { title: 'Rebel Archive (2031)', genres: ['Documentary'] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const visitor = `${url}/recommendations?movies=${STAR_WARS.join(',')}&k=10`;
    // No genre in common with the picks: the genre rule leaves it out.
    expect(ids((await call(`${visitor.replace('k=10', 'k=100')}`)).body)).not.toContain(id);
    const fans = fansOf(STAR_WARS).slice(0, 200);
    expect(fans.length).toBe(200);
    for (const user of fans) {
      const posted = await call(`${url}/users/${user}/ratings`, {
        method: 'POST',
        token: TOKEN,
        body: { movieId: id, rating: 5 },
      });
      expect(posted.status).toBe(201);
    }
    expect(ids((await call(visitor)).body)).toContain(id);
    // A fan who rated it never gets it back.
    expect(ids((await call(`${url}/users/${fans[0]}/recommendations?k=100`)).body)).not.toContain(id);
  });

  // Pins a race the review found: two posts of one title at once both passed the duplicate check.
  it('two posts of one new title at once store it once: one 201, one 400 naming the title', async () => {
    const before = await movieCount();
    const body = { title: 'Twice Told (2032)', genres: ['Drama'] };
    const answers = await Promise.all(
      [0, 1].map(() => call(`${url}/movies`, { method: 'POST', token: TOKEN, body })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400]);
    expect(answers.find((a) => a.status === 400)?.body.error.field).toBe('title');
    expect(await movieCount()).toBe(before + 1);
  });
});
