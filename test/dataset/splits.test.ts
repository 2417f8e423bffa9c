import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { createRng, shuffleInPlace } from '../../src/core/rng.js';
import { interactionsFromRatings, interactionsToRatings } from '../../src/dataset/interactions.js';
import {
  SEED_PROTOCOL,
  SPLIT_STRATEGIES,
  splitInteractions,
  type Split,
  type SplitSpec,
} from '../../src/dataset/splits.js';
import type { Interactions } from '../../src/dataset/types.js';
import { readUData, toRatingsTable, type RawRating } from './ml100k.js';

const rows100k = readUData();
const ml100k = interactionsFromRatings(toRatingsTable(rows100k));

const SPECS: Record<(typeof SPLIT_STRATEGIES)[number], SplitSpec> = {
  // Ties by movie id, so the split must not depend on the input's row order (SEED_PROTOCOL keeps row order).
  'temporal-leave-n': { ...SEED_PROTOCOL, ties: 'item-id' },
  'temporal-fraction': { strategy: 'temporal-fraction', testFraction: 0.2, validationFraction: 0.1 },
  'random-leave-n': { strategy: 'random-leave-n', test: 5, validation: 1, minHistory: 11, seed: 42 },
  'random-fraction': { strategy: 'random-fraction', testFraction: 0.2, validationFraction: 0.1, seed: 42 },
};

/** Raw "user:item" keys of a side. */
function pairKeys(side: Interactions): Set<string> {
  const table = interactionsToRatings(side);
  const keys = new Set<string>();
  for (let k = 0; k < table.length; k++) keys.add(`${table.userId[k]}:${table.movieId[k]}`);
  return keys;
}

function sideArrays(split: Split): unknown[] {
  return [split.train, split.validation, split.test].flatMap((s) => [s.user, s.item, s.rating, s.timestamp]);
}

describe('the seed protocol on ml-100k', () => {
  /**
   * Computes the protocol's sides from u.data with plain arrays and sorts, independently of the splitter:
   * per user sorted by timestamp, ties in file order (Array.prototype.sort is stable), last 5 to test, the one before to validation, users with fewer
   * than 11 ratings whole in train; then held-out pairs whose movie never occurs in train are dropped.
   */
  function expectedSides(rows: readonly RawRating[]) {
    const byUser = new Map<number, RawRating[]>();
    for (const r of rows) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r]);
    const train: RawRating[] = [];
    const validation: RawRating[] = [];
    const test: RawRating[] = [];
    for (const list of byUser.values()) {
      list.sort((a, b) => a.timestamp - b.timestamp);
      if (list.length < 11) {
        train.push(...list);
        continue;
      }
      train.push(...list.slice(0, -6));
      validation.push(list[list.length - 6] as RawRating);
      test.push(...list.slice(-5));
    }
    const trainItems = new Set(train.map((r) => r.item));
    const known = (r: RawRating) => trainItems.has(r.item);
    const droppedItems = new Set([...validation, ...test].filter((r) => !known(r)).map((r) => r.item));
    return {
      train,
      validation: validation.filter(known),
      test: test.filter(known),
      droppedPairs:
        validation.length + test.length - validation.filter(known).length - test.filter(known).length,
      droppedItems: droppedItems.size,
    };
  }

  it('gives exactly the sides computed independently from u.data', () => {
    const expected = expectedSides(rows100k);
    const split = splitInteractions(ml100k, SEED_PROTOCOL);
    expect(split.report.sizes).toEqual({
      train: expected.train.length,
      validation: expected.validation.length,
      test: expected.test.length,
    });
    // Every ml-100k user has >= 20 ratings, so every user gives 6 and none is unknown in train.
    expect(split.report.users).toBe(943);
    expect(split.report.usersHeldOut).toBe(943);
    expect(split.report.usersWholeInTrain).toBe(0);
    expect(split.report.droppedUnknownUsers).toEqual({ pairs: 0, ids: 0 });
    expect(split.report.droppedUnknownItems).toEqual({
      pairs: expected.droppedPairs,
      ids: expected.droppedItems,
    });
    expect(expected.droppedPairs).toBeGreaterThan(0);
    const keys = (rows: RawRating[]) => new Set(rows.map((r) => `${r.user}:${r.item}`));
    expect(pairKeys(split.test)).toEqual(keys(expected.test));
    expect(pairKeys(split.validation)).toEqual(keys(expected.validation));
    expect(pairKeys(split.train)).toEqual(keys(expected.train));
  });

  it('breaks equal timestamps in row order, and by movie id when asked', () => {
    // Pins the tie rule of the seed protocol: 463 of ml-100k's users have a tie at the train/test boundary.
    const rowOrder = splitInteractions(ml100k, SEED_PROTOCOL);
    const byItem = splitInteractions(ml100k, { ...SEED_PROTOCOL, ties: 'item-id' });
    expect(pairKeys(rowOrder.test)).not.toEqual(pairKeys(byItem.test));
    const reversed = interactionsFromRatings(toRatingsTable([...rows100k].reverse()));
    expect(pairKeys(splitInteractions(reversed, SEED_PROTOCOL).test)).not.toEqual(pairKeys(rowOrder.test));
    expect(pairKeys(splitInteractions(reversed, { ...SEED_PROTOCOL, ties: 'item-id' }).test)).toEqual(
      pairKeys(byItem.test),
    );
  });

  it("never puts a test or validation rating before the same user's train ratings", () => {
    const split = splitInteractions(ml100k, SEED_PROTOCOL);
    const span = (side: Interactions, pick: 'min' | 'max') => {
      const out = new Float64Array(side.users.size).fill(pick === 'min' ? Infinity : -Infinity);
      for (let k = 0; k < side.user.length; k++) {
        const u = side.user[k] as number;
        const t = side.timestamp![k] as number;
        out[u] = pick === 'min' ? Math.min(out[u] as number, t) : Math.max(out[u] as number, t);
      }
      return out;
    };
    const trainMax = span(split.train, 'max');
    const validationMin = span(split.validation, 'min');
    const validationMax = span(split.validation, 'max');
    const testMin = span(split.test, 'min');
    let checked = 0;
    for (let u = 0; u < ml100k.users.size; u++) {
      expect(trainMax[u]).toBeLessThanOrEqual(testMin[u] as number);
      expect(trainMax[u]).toBeLessThanOrEqual(validationMin[u] as number);
      expect(validationMax[u]).toBeLessThanOrEqual(testMin[u] as number);
      if (Number.isFinite(testMin[u])) checked++;
    }
    expect(checked).toBe(943);
  });
});

describe.each(SPLIT_STRATEGIES)('%s on ml-100k', (strategy) => {
  const spec = SPECS[strategy];
  const split = splitInteractions(ml100k, spec);

  it('puts no (user, movie) pair on two sides and loses nothing but the counted drops', () => {
    const [train, validation, test] = [
      pairKeys(split.train),
      pairKeys(split.validation),
      pairKeys(split.test),
    ];
    expect([...test].filter((key) => train.has(key) || validation.has(key))).toEqual([]);
    expect([...validation].filter((key) => train.has(key))).toEqual([]);
    const { dropped } = split.report;
    expect(train.size + validation.size + test.size + dropped.validation + dropped.test).toBe(100_000);
    expect(split.validation.user.length).toBeGreaterThan(0);
    expect(split.test.user.length).toBeGreaterThan(0);
  });

  it('shares the dataset encoders across sides', () => {
    for (const side of [split.train, split.validation, split.test]) {
      expect(side.users).toBe(ml100k.users);
      expect(side.items).toBe(ml100k.items);
    }
  });

  it('is byte-identical when repeated and independent of the input row order', () => {
    const again = splitInteractions(ml100k, spec);
    expect(sideArrays(again)).toEqual(sideArrays(split));
    const shuffled = shuffleInPlace(
      Int32Array.from({ length: rows100k.length }, (_, k) => k),
      createRng(3),
    );
    const reordered = interactionsFromRatings(toRatingsTable(Array.from(shuffled, (k) => rows100k[k]!)));
    const splitOfReordered = splitInteractions(reordered, spec);
    expect(pairKeys(splitOfReordered.test)).toEqual(pairKeys(split.test));
    expect(pairKeys(splitOfReordered.validation)).toEqual(pairKeys(split.validation));
  });

  if ('testFraction' in spec) {
    it('holds out round(n * fraction) of each user', () => {
      const perUser = new Map<number, number>();
      for (const r of rows100k) perUser.set(r.user, (perUser.get(r.user) ?? 0) + 1);
      let test = 0;
      let validation = 0;
      for (const n of perUser.values()) {
        test += Math.round(n * 0.2);
        validation += Math.round(n * 0.1);
      }
      const { sizes, dropped } = split.report;
      expect(sizes.test + dropped.test).toBe(test);
      expect(sizes.validation + dropped.validation).toBe(validation);
    });
  }

  if ('seed' in spec) {
    it('changes with the seed', () => {
      const other = splitInteractions(ml100k, { ...spec, seed: spec.seed + 1 });
      expect(other.report.sizes.validation + other.report.dropped.validation).toBe(
        split.report.sizes.validation + split.report.dropped.validation,
      );
      expect(pairKeys(other.test)).not.toEqual(pairKeys(split.test));
    });
  }
});

describe('split rules on small fixtures', () => {
  const make = (rows: [number, number, number][], withTimestamp = true) =>
    interactionsFromRatings(
      toRatingsTable(
        rows.map(([user, item, timestamp]) => ({ user, item, rating: 4, timestamp })),
        withTimestamp,
      ),
    );

  it('breaks equal timestamps by ascending movie id', () => {
    // User 1 rated movies 30, 10, 20 in the same second: 10 < 20 < 30, so 30 is the most recent.
    const data = make([
      [1, 30, 500],
      [1, 10, 500],
      [1, 20, 500],
      [2, 10, 1],
      [2, 20, 2],
      [2, 30, 3],
      [3, 20, 1], // user 3 (below minHistory) puts movies 20 and 30 in train
      [3, 30, 2],
    ]);
    const split = splitInteractions(data, { strategy: 'temporal-leave-n', test: 1, validation: 1 });
    expect(pairKeys(split.test)).toEqual(new Set(['1:30', '2:30']));
    expect(pairKeys(split.validation)).toEqual(new Set(['1:20', '2:20']));
  });

  it('drops held-out pairs of movies and users that train never saw, and counts them', () => {
    const data = make([
      [1, 1, 1],
      [1, 2, 2],
      [1, 99, 3], // movie 99 occurs only here: user 1's test pair is dropped
      [2, 1, 1],
      [2, 2, 2],
      [2, 3, 3],
      [3, 98, 1], // user 3 has one rating, minHistory 1 sends it to test: unknown user (and movie)
      [4, 3, 1],
      [4, 1, 2],
    ]);
    const split = splitInteractions(data, { strategy: 'temporal-leave-n', test: 1, minHistory: 1 });
    expect(pairKeys(split.test)).toEqual(new Set(['2:3', '4:1']));
    expect(split.report.droppedUnknownItems).toEqual({ pairs: 2, ids: 2 });
    expect(split.report.droppedUnknownUsers).toEqual({ pairs: 1, ids: 1 });
    expect(split.report.dropped).toEqual({ validation: 0, test: 2 });
    expect(split.report.sizes).toEqual({ train: 5, validation: 0, test: 2 });
  });

  it('keeps users below minHistory whole in train', () => {
    const data = make([
      [1, 1, 1],
      [1, 3, 2],
      [2, 1, 1],
      [2, 2, 2],
      [2, 3, 3],
    ]);
    const split = splitInteractions(data, { strategy: 'temporal-leave-n', test: 1, minHistory: 3 });
    expect(pairKeys(split.test)).toEqual(new Set(['2:3']));
    expect(split.report.usersWholeInTrain).toBe(1);
  });

  it('refuses temporal strategies on data without timestamps, naming the option', () => {
    const data = make([[1, 1, 1]], false);
    expect(() => splitInteractions(data, SEED_PROTOCOL)).toThrow(ValidationError);
    expect(() => splitInteractions(data, SEED_PROTOCOL)).toThrow(
      /strategy: 'temporal-leave-n' needs timestamps/,
    );
    expect(() => splitInteractions(data, { strategy: 'random-leave-n', test: 1, seed: 1 })).not.toThrow();
  });

  it('refuses a (user, movie) pair that occurs twice', () => {
    const data = make([
      [7, 5, 1],
      [7, 5, 2],
    ]);
    expect(() => splitInteractions(data, SEED_PROTOCOL)).toThrow(/user 7 has movie 5 twice/);
  });

  it('names the bad option', () => {
    const data = make([[1, 1, 1]]);
    expect(() => splitInteractions(data, { strategy: 'temporal-leave-n', test: 0 })).toThrow(/^test: /);
    expect(() => splitInteractions(data, { strategy: 'temporal-fraction', testFraction: 1 })).toThrow(
      /^testFraction: /,
    );
    expect(() => splitInteractions(data, { strategy: 'random-leave-n', test: 1, seed: 0.5 })).toThrow(
      /^seed: /,
    );
  });
});
