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

describe('UserCache eviction and staleness', () => {
  it('evicts by second chance: users asked for since the last pass stay, the first one not asked for goes', () => {
    const cache = new UserCache({ capacity: 3, ttlMs: 1000, now: () => 0 });
    for (const id of [1, 2, 3]) cache.set(id, { ratings: [], fetchedAt: 0 });
    cache.get(1);
    cache.get(3);
    cache.set(4, { ratings: [], fetchedAt: 0 }); // 1 gets a second chance, 2 goes
    expect([1, 2, 3, 4].map((id) => cache.previous(id) !== undefined)).toEqual([true, false, true, true]);
    // Order now 3 (used), 4, 1 (its bit spent): 3 gets its second chance and 4, never asked for, goes.
    cache.set(5, { ratings: [], fetchedAt: 0 });
    expect([1, 3, 4, 5].map((id) => cache.previous(id) !== undefined)).toEqual([true, true, false, true]);
    expect(cache.size).toBe(3);
  });

  it('expires users without forgetting them, and a new TTL applies to entries already held', () => {
    let now = 0;
    const cache = new UserCache({ capacity: 10, ttlMs: 100, now: () => now });
    for (const id of [1, 2, 3]) cache.set(id, { ratings: [], fetchedAt: 0 });
    cache.expire(2);
    expect(cache.get(2)).toBeUndefined();
    expect(cache.previous(2)).toBeDefined();
    expect(cache.get(1)).toBeDefined();
    now = 500;
    expect(cache.get(1)).toBeUndefined();
    cache.setTtl(1000);
    expect(cache.get(1)).toBeDefined();
    cache.expireAll();
    expect([1, 3].map((id) => cache.get(id))).toEqual([undefined, undefined]);
    expect(cache.previous(3)).toBeDefined();
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
