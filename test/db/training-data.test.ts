import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { readTrainingTables } from '../../src/db/training-data.js';
import { datasetFingerprint } from '../../src/training/fingerprint.js';
import { describeEachEngine } from './support.js';

/** readTrainingTables on both engines: what `recsys train --source db` fits on. */
describeEachEngine('readTrainingTables', (engine) => {
  it('reads every rating in (user, movie) order across keyset pages, with movies and users', async () => {
    const db = engine.db();
    await migrate(db);
    await db.exec(`
      INSERT INTO users (id, gender, age) VALUES (1, 'F', 25), (2, NULL, NULL), (3, 'M', 35);
      INSERT INTO movies (id, title, year, genres) VALUES
        (10, 'A (1995)', 1995, 'Comedy|Drama'), (20, 'B', NULL, '(no genres listed)'), (30, 'C (2001)', 2001, 'Action');
      INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES
        (3, 10, 4, to_timestamp(1000)), (1, 30, 5, to_timestamp(3000)), (1, 10, 2.5, to_timestamp(2000)),
        (2, 20, 1, to_timestamp(4000)), (3, 30, 3, to_timestamp(5000));`);
    const pages: number[] = [];
    const tables = await readTrainingTables(db, {
      batchRows: 2,
      onProgress: (e) => pages.push(e.done),
    });
    expect(pages).toEqual([2, 4, 5]);
    expect(Array.from(tables.ratings.userId)).toEqual([1, 1, 2, 3, 3]);
    expect(Array.from(tables.ratings.movieId)).toEqual([10, 30, 20, 10, 30]);
    expect(Array.from(tables.ratings.rating ?? [])).toEqual([2.5, 5, 1, 4, 3]);
    expect(Array.from(tables.ratings.timestamp ?? [])).toEqual([2000, 3000, 4000, 1000, 5000]);
    expect(tables.movies).toEqual([
      { movieId: 10, title: 'A (1995)', year: 1995, genres: ['Comedy', 'Drama'] },
      { movieId: 20, title: 'B', year: null, genres: [] },
      { movieId: 30, title: 'C (2001)', year: 2001, genres: ['Action'] },
    ]);
    expect(tables.users?.map((u) => [u.userId, u.gender, u.age])).toEqual([
      [1, 'F', 25],
      [2, null, null],
      [3, 'M', 35],
    ]);
  });

  it('a new rating changes the fingerprint; a rating without value or time makes those columns null', async () => {
    const db = engine.db();
    const before = datasetFingerprint((await readTrainingTables(db)).ratings);
    await db.exec('INSERT INTO ratings (user_id, movie_id, rating) VALUES (2, 10, 5)');
    const after = await readTrainingTables(db);
    expect(after.ratings.length).toBe(6);
    expect(datasetFingerprint(after.ratings)).not.toBe(before);
    await db.exec('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (2, 30, NULL, NULL)');
    const implicit = await readTrainingTables(db);
    expect(implicit.ratings.length).toBe(7);
    expect(implicit.ratings.rating).toBeNull();
    expect(implicit.ratings.timestamp).toBeNull();
  });
});
