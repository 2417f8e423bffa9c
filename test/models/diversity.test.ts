import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import {
  DEFAULT_DIVERSITY_METHOD,
  DIVERSITY_METHODS,
  diversify,
  type DiversityContext,
} from '../../src/models/diversity.js';

const GENRES = ['Action', 'Comedy', 'Drama', 'Horror', 'Romance', 'Sci-Fi'];

/** 100 candidates (ids 1000..1099) with seeded popularity and one or two genres each. */
function catalogue(seed: number): { ranked: number[]; context: DiversityContext; pop: Map<number, number> } {
  const rng = createRng(seed);
  const pop = new Map<number, number>();
  const genres = new Map<number, string[]>();
  const ranked: number[] = [];
  for (let i = 0; i < 100; i++) {
    const id = 1000 + i;
    ranked.push(id);
    // Popular items tend to rank high, as with a real model, with noise.
    pop.set(id, Math.round(Math.exp(8 - i / 20 + rng.normal())));
    const g = [GENRES[rng.int(GENRES.length)] as string];
    if (rng.next() < 0.5) g.push(GENRES[rng.int(GENRES.length)] as string);
    genres.set(id, [...new Set(g)]);
  }
  const context: DiversityContext = {
    popularity: (id) => pop.get(id) ?? 0,
    genres: (id) => genres.get(id) ?? [],
  };
  return { ranked, context, pop };
}

const meanLogPop = (ids: number[], pop: Map<number, number>) =>
  ids.reduce((s, id) => s + Math.log1p(pop.get(id) ?? 0), 0) / ids.length;
const meanPop = (ids: number[], pop: Map<number, number>) =>
  ids.reduce((s, id) => s + (pop.get(id) ?? 0), 0) / ids.length;

describe('diversify', () => {
  const { ranked, context, pop } = catalogue(7);
  const history = [1003, 1010, 1050];

  it('returns ranked.slice(0, k) exactly at diversity 0, for every method', () => {
    for (const method of DIVERSITY_METHODS) {
      expect(diversify({ ranked, k: 10, diversity: 0, context, history, method })).toEqual(
        ranked.slice(0, 10),
      );
    }
    expect(diversify({ ranked, k: 10, diversity: 0, context })).toEqual(ranked.slice(0, 10));
  });

  it('changes the list above 0 and draws only from the candidates, without duplicates', () => {
    for (const method of DIVERSITY_METHODS) {
      const out = diversify({ ranked, k: 10, diversity: 1, context, history, method });
      expect(out).toHaveLength(10);
      expect(new Set(out).size).toBe(10);
      for (const id of out) expect(ranked).toContain(id);
      expect(out).not.toEqual(ranked.slice(0, 10));
    }
  });

  it('lowers the popularity of the list monotonically as diversity grows (default method)', () => {
    expect(DEFAULT_DIVERSITY_METHOD).toBe('popularity');
    const levels = [0, 0.1, 0.25, 0.5, 0.75, 1];
    for (let seed = 1; seed <= 20; seed++) {
      const c = catalogue(seed);
      const logs = levels.map((d) =>
        meanLogPop(diversify({ ranked: c.ranked, k: 10, diversity: d, context: c.context }), c.pop),
      );
      for (let i = 1; i < logs.length; i++)
        expect(logs[i]).toBeLessThanOrEqual((logs[i - 1] as number) + 1e-12);
    }
    const raw = levels.map((d) => meanPop(diversify({ ranked, k: 10, diversity: d, context }), pop));
    for (let i = 1; i < raw.length; i++) expect(raw[i]).toBeLessThanOrEqual(raw[i - 1] as number);
    expect(raw[raw.length - 1]).toBeLessThan((raw[0] as number) / 2);
  });

  it('is deterministic, ties keeping the model order', () => {
    for (const method of DIVERSITY_METHODS) {
      const a = diversify({ ranked, k: 20, diversity: 0.5, context, history, method });
      const b = diversify({ ranked: [...ranked], k: 20, diversity: 0.5, context, history, method });
      expect(a).toEqual(b);
    }
    // Equal popularity everywhere: the penalty cannot tell candidates apart, so the order is the model's.
    const flat: DiversityContext = { popularity: () => 5, genres: () => [] };
    expect(diversify({ ranked, k: 10, diversity: 0.7, context: flat })).toEqual(ranked.slice(0, 10));
  });

  it('returns every candidate when k exceeds them, and handles 0 or 1 candidates', () => {
    for (const method of DIVERSITY_METHODS) {
      const out = diversify({ ranked: ranked.slice(0, 5), k: 10, diversity: 0.5, context, history, method });
      expect([...out].sort()).toEqual(ranked.slice(0, 5));
    }
    expect(diversify({ ranked: [], k: 10, diversity: 0.5, context })).toEqual([]);
    expect(diversify({ ranked: [42], k: 10, diversity: 1, context })).toEqual([42]);
  });

  it('calibration moves the genre mix toward the history; without a history it keeps the model order', () => {
    const horror = ranked.filter((id) => context.genres(id).includes('Horror'));
    const share = (ids: number[]) =>
      ids.filter((id) => context.genres(id).includes('Horror')).length / ids.length;
    const plain = ranked.slice(0, 10);
    const calibrated = diversify({
      ranked,
      k: 10,
      diversity: 0.8,
      context,
      history: horror.slice(0, 5),
      method: 'calibration',
    });
    expect(share(calibrated)).toBeGreaterThan(share(plain));
    expect(diversify({ ranked, k: 10, diversity: 0.8, context, method: 'calibration' })).toEqual(plain);
  });

  it('refuses a diversity outside 0..1 or a bad k', () => {
    expect(() => diversify({ ranked, k: 10, diversity: 2, context })).toThrow(
      /diversity must be in 0..1, got 2/,
    );
    expect(() => diversify({ ranked, k: 10, diversity: -0.1, context })).toThrow(/diversity/);
    expect(() => diversify({ ranked, k: 10, diversity: Number.NaN, context })).toThrow(/diversity/);
    expect(() => diversify({ ranked, k: 1.5, diversity: 0.5, context })).toThrow(/k must be/);
  });
});
