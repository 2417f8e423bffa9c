import { describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import {
  parseRatingsChange,
  subscribeToRatingChanges,
  type RatingsChange,
} from '../../src/db/ratings-feed.js';
import { adminQuery, describeEachEngine } from './support.js';

/** `seen` once it holds at least `n` entries (vi.waitFor: fails after 5 s). */
async function collected<T>(seen: T[], n: number): Promise<T[]> {
  await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(n), { timeout: 5_000, interval: 10 });
  return seen;
}

describe('parseRatingsChange', () => {
  it("reads user ids, and '*' or anything unreadable as a change for everyone", () => {
    expect(parseRatingsChange('3,17')).toEqual({ users: [3, 17] });
    expect(parseRatingsChange('*')).toBe('all');
    expect(parseRatingsChange('')).toBe('all');
    expect(parseRatingsChange('3,x')).toBe('all');
  });
});

describeEachEngine('ratings change feed (triggers + LISTEN)', (engine) => {
  it('reports the users each statement touched, and everyone for large statements and TRUNCATE', async () => {
    const db = engine.db();
    await migrate(db);
    await db.exec(
      `INSERT INTO users (id) SELECT g FROM generate_series(1, 600) AS g;
       INSERT INTO movies (id, title, genres) VALUES (1, 'One', 'Drama'), (2, 'Two', 'Comedy')`,
    );
    const seen: RatingsChange[] = [];
    const feed = await subscribeToRatingChanges(db, { change: (change) => seen.push(change) });
    try {
      await db.exec('INSERT INTO ratings (user_id, movie_id, rating) VALUES (1, 1, 4), (2, 1, 3), (2, 2, 5)');
      await db.exec(
        `INSERT INTO ratings (user_id, movie_id, rating) VALUES (2, 1, 1)
           ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating`,
      );
      await db.exec('UPDATE ratings SET rating = 2 WHERE user_id = 1');
      await db.exec('DELETE FROM ratings WHERE user_id = 1');
      await db.exec('UPDATE ratings SET rating = 3 WHERE user_id = 999'); // touches nothing: no notification
      // A statement over more users than one notification names (a bulk load) says "everyone".
      await db.exec('INSERT INTO ratings (user_id, movie_id) SELECT g, 2 FROM generate_series(3, 600) AS g');
      await db.exec('TRUNCATE ratings');
      const changes = await collected(seen, 6);
      const users = (change: RatingsChange | undefined): number[] =>
        change === 'all' || change === undefined ? [] : [...change.users].sort((a, b) => a - b);
      expect(users(changes[0])).toEqual([1, 2]);
      expect(users(changes[1])).toEqual([2]); // the upsert's UPDATE half (its INSERT half touched no row)
      expect(users(changes[2])).toEqual([1]);
      expect(users(changes[3])).toEqual([1]);
      expect(changes.slice(4)).toEqual(['all', 'all']);
    } finally {
      await feed.close();
    }
  });

  if (engine.kind === 'postgres') {
    it('reconnects when its connection is killed, says so, and reports changes again', async () => {
      const db = engine.db();
      const seen: RatingsChange[] = [];
      const states: boolean[] = [];
      const feed = await subscribeToRatingChanges(db, {
        change: (change) => seen.push(change),
        listening: (live) => states.push(live),
      });
      try {
        const [{ channel }] = (await db.query<{ channel: string }>(
          'SELECT recsys_ratings_channel(current_schema()) AS channel',
        )) as [{ channel: string }];
        const killed = await adminQuery<{ killed: boolean }>(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE query = $1`,
          [`LISTEN "${channel}"`],
        );
        expect(killed).toEqual([{ killed: true }]);
        expect(await collected(states, 2)).toEqual([false, true]);
        await db.exec('INSERT INTO ratings (user_id, movie_id, rating) VALUES (5, 1, 4)');
        expect(await collected(seen, 1)).toEqual([{ users: [5] }]);
      } finally {
        await feed.close();
      }
    });
  }
});
