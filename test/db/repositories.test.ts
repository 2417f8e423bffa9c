import { beforeAll, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { migrate } from '../../src/db/migrate.js';
import {
  createMoviesRepository,
  createRatingsRepository,
  createUsersRepository,
} from '../../src/db/repositories/index.js';
import { seedDatabase } from '../../src/db/seed.js';
import { describeEachEngine } from './support.js';

const fixture: DatasetTables = {
  movies: [
    { movieId: 1, title: 'Toy Story (1995)', year: 1995, genres: ['Animation', "Children's", 'Comedy'] },
    { movieId: 2, title: 'Jumanji (1995)', year: 1995, genres: ['Adventure'] },
    { movieId: 3, title: 'Toy Soldiers (1991)', year: 1991, genres: ['Action'] },
    { movieId: 4, title: '50%_off (2000)', year: 2000, genres: [] },
    { movieId: 5, title: 'Story of Us, The (1999)', year: null, genres: ['Comedy', 'Drama'] },
  ],
  users: [
    { userId: 1, gender: 'F', age: 25, occupation: 'writer', zip: '10001' },
    { userId: 2, gender: 'M', age: 35, occupation: 'other', zip: '94110' },
    { userId: 3, gender: null, age: null, occupation: null, zip: null },
  ],
  ratings: {
    length: 4,
    userId: Int32Array.of(1, 1, 1, 2),
    movieId: Int32Array.of(2, 1, 3, 1),
    rating: Float32Array.of(4, 5, 2.5, 3),
    timestamp: Float64Array.of(900_000_100, 900_000_050, 900_000_200, 900_000_000),
  },
};

describeEachEngine('repositories', (engine) => {
  beforeAll(async () => {
    await migrate(engine.db());
    await seedDatabase(engine.db(), fixture, { dataset: 'fixture' });
  });

  it('movies: by id, by ids in the order asked, the catalog, and ids checked', async () => {
    const movies = createMoviesRepository(engine.db());
    expect(await movies.byId(5)).toEqual({
      id: 5,
      title: 'Story of Us, The (1999)',
      year: null,
      genres: 'Comedy|Drama',
    });
    expect(await movies.byId(4)).toMatchObject({ genres: '(no genres listed)' });
    expect(await movies.byId(999)).toBeNull();
    expect((await movies.byIds([3, 999, 1, 3])).map((m) => m.id)).toEqual([3, 1]);
    expect(await movies.byIds([])).toEqual([]);
    expect((await movies.all()).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect(await movies.count()).toBe(5);
    await expect(movies.byId(-1)).rejects.toMatchObject({ field: 'id' });
    await expect(movies.byId(1.5)).rejects.toBeInstanceOf(ValidationError);
  });

  it('movies: search is case-insensitive, puts title prefixes first, honours the limit, and treats % and _ literally', async () => {
    const movies = createMoviesRepository(engine.db());
    const titles = async (q: string, limit = 10) => (await movies.search(q, limit)).map((m) => m.title);
    expect(await titles('TOY')).toEqual(['Toy Soldiers (1991)', 'Toy Story (1995)']);
    expect(await titles('story')).toEqual(['Story of Us, The (1999)', 'Toy Story (1995)']);
    expect(await titles('toy', 1)).toEqual(['Toy Soldiers (1991)']);
    expect(await titles('%')).toEqual(['50%_off (2000)']);
    expect(await titles('y_')).toEqual([]);
    expect(await titles('nothing like it')).toEqual([]);
    await expect(movies.search('  ', 10)).rejects.toMatchObject({ field: 'search' });
    await expect(movies.search('toy', 0)).rejects.toMatchObject({ field: 'limit' });
  });

  it('users: exists, by id, and create with the next free id, also when creates race', async () => {
    const users = createUsersRepository(engine.db());
    expect(await users.exists(2)).toBe(true);
    expect(await users.exists(99)).toBe(false);
    expect(await users.byId(1)).toEqual({ id: 1, gender: 'F', age: 25, occupation: 'writer', zip: '10001' });
    expect(await users.create()).toEqual({ id: 4, gender: null, age: null, occupation: null, zip: null });
    expect(await users.create({ age: 18 })).toMatchObject({ id: 5, age: 18 });
    const raced = await Promise.all(Array.from({ length: 6 }, () => users.create()));
    expect(raced.map((u) => u.id).sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(await users.count()).toBe(11);
  });

  it("ratings: a user's ratings by time and the movies they rated", async () => {
    const ratings = createRatingsRepository(engine.db());
    const history = await ratings.forUser(1);
    expect(history.map((r) => [r.movieId, r.rating])).toEqual([
      [1, 5],
      [2, 4],
      [3, 2.5],
    ]);
    expect(history[0]!.ratedAt).toEqual(new Date(900_000_050_000));
    expect(await ratings.ratedMovieIds(1)).toEqual([1, 2, 3]);
    expect(await ratings.forUser(3)).toEqual([]);
  });

  it('ratings: upsert adds, then replaces, and names the unknown user or movie', async () => {
    const ratings = createRatingsRepository(engine.db());
    const before = await ratings.count();
    const added = await ratings.upsert({ userId: 3, movieId: 5, rating: 4.5 });
    expect(added).toMatchObject({ userId: 3, movieId: 5, rating: 4.5 });
    expect(Math.abs(added.ratedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    const at = new Date('2020-01-02T03:04:05.678Z');
    expect(await ratings.upsert({ userId: 3, movieId: 5, rating: 1, ratedAt: at })).toEqual({
      userId: 3,
      movieId: 5,
      rating: 1,
      ratedAt: at,
    });
    expect(await ratings.count()).toBe(before + 1);

    await expect(ratings.upsert({ userId: 3, movieId: 999, rating: 3 })).rejects.toThrow(
      new NotFoundError('movie', 999),
    );
    await expect(ratings.upsert({ userId: 999, movieId: 1, rating: 3 })).rejects.toThrow(
      new NotFoundError('user', 999),
    );
    expect(await ratings.count()).toBe(before + 1);
  });

  it('ratings: refuses values off the half-star scale, naming the field', async () => {
    const ratings = createRatingsRepository(engine.db());
    for (const bad of [0, 5.5, 3.3, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(ratings.upsert({ userId: 1, movieId: 1, rating: bad })).rejects.toMatchObject({
        code: 'VALIDATION',
        field: 'rating',
      });
    }
    await expect(ratings.upsert({ userId: 0, movieId: 1, rating: 3 })).rejects.toMatchObject({
      field: 'userId',
    });
    await expect(ratings.upsert({ userId: 1, movieId: 2 ** 31, rating: 3 })).rejects.toMatchObject({
      field: 'movieId',
    });
    expect((await ratings.forUser(1)).find((r) => r.movieId === 1)?.rating).toBe(5);
  });
});
