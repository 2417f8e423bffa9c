import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/serving/catalog.js';
import { createPopularityRanking } from '../../src/serving/popularity.js';
import { UserCache } from '../../src/serving/user-cache.js';

describe('UserCache', () => {
  it('forgets entries older than the TTL and evicts the least recently used beyond capacity', () => {
    let now = 0;
    const cache = new UserCache({ capacity: 2, ttlMs: 100, now: () => now });
    cache.set(1, { ratings: [], fetchedAt: 0 });
    cache.set(2, { ratings: [], fetchedAt: 0 });
    expect(cache.get(1)).toBeDefined(); // 1 is now the most recent
    cache.set(3, { ratings: [], fetchedAt: 0 });
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(1)).toBeDefined();
    now = 101;
    expect(cache.get(1)).toBeUndefined();
    // Expired, but kept to compare a re-read against (its ranking may still hold).
    expect(cache.previous(1)).toBeDefined();
    expect(cache.previous(2)).toBeUndefined();
  });

  it('says when an entry is past half its TTL (refresh ahead)', () => {
    let now = 0;
    const cache = new UserCache({ capacity: 10, ttlMs: 100, now: () => now });
    const state = { ratings: [], fetchedAt: 0 };
    cache.set(1, state);
    now = 50;
    expect(cache.isAging(state)).toBe(false);
    now = 51;
    expect(cache.isAging(state)).toBe(true);
    expect(cache.get(1)).toBe(state);
  });

  it('keeps nothing with a TTL of 0 and forgets an invalidated user', () => {
    const off = new UserCache({ capacity: 10, ttlMs: 0 });
    off.set(1, { ratings: [], fetchedAt: off.time() });
    expect(off.get(1)).toBeUndefined();
    const on = new UserCache({ capacity: 10, ttlMs: 1000 });
    on.set(1, { ratings: [], fetchedAt: on.time() });
    on.invalidate(1);
    expect(on.get(1)).toBeUndefined();
    expect(on.previous(1)).toBeUndefined();
  });
});

describe('popularity ranking and catalog', () => {
  const ranking = createPopularityRanking([
    { movieId: 3, count: 5 },
    { movieId: 1, count: 9 },
    { movieId: 2, count: 5 },
  ]);

  it('ranks by count, ties to the lower id, skipping excluded movies', () => {
    expect(ranking.top(3)).toEqual([1, 2, 3]);
    expect(ranking.top(2, new Set([1]))).toEqual([2, 3]);
    expect(ranking.countOf(42)).toBe(0);
  });

  it('searches titles case-insensitively, most popular first', () => {
    const catalog = createCatalog(
      [
        { id: 1, title: 'Toy Story (1995)', genre: 'Animation', year: 1995 },
        { id: 2, title: 'Toy Story 2 (1999)', genre: 'Animation', year: 1999 },
        { id: 3, title: 'Heat (1995)', genre: 'Action', year: 1995 },
      ],
      ranking.countOf,
    );
    expect(catalog.search('TOY', 10).map((m) => m.id)).toEqual([1, 2]);
    expect(catalog.search('toy', 1).map((m) => m.id)).toEqual([1]);
    expect(catalog.search('', 10).map((m) => m.id)).toEqual([1, 2, 3]);
    expect(catalog.search('nothing like it', 10)).toEqual([]);
    expect(catalog.get(3)?.title).toBe('Heat (1995)');
    expect(catalog.has(4)).toBe(false);
  });
});
