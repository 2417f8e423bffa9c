import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { readInteractionsParquet } from '../../src/data/parquet.js';
import { interactionsToCsr, transposeCsr } from '../../src/dataset/csr.js';
import {
  concatInteractions,
  countPerItem,
  countPerUser,
  historyOf,
  interactionsFromRatings,
  interactionsToRatings,
  keepRatingsAtLeast,
  selectInteractions,
  subsetInteractions,
} from '../../src/dataset/interactions.js';
import { ML1M_INTERACTIONS_PROTOCOL, splitInteractions } from '../../src/dataset/splits.js';
import { MOVIELENS_DIR, readUData, toRatingsTable } from './ml100k.js';

const rows100k = readUData();
const table100k = toRatingsTable(rows100k);

describe('interactionsFromRatings on ml-100k', () => {
  const all = interactionsFromRatings(table100k);

  it('encodes every user and movie densely in ascending raw id order', () => {
    expect(all.users.size).toBe(943);
    expect(all.items.size).toBe(1682);
    expect(all.user.length).toBe(100_000);
    // ml-100k ids are 1..943 and 1..1682, so dense = raw - 1.
    expect(all.users.toDense(1)).toBe(0);
    expect(all.items.toRaw(1681)).toBe(1682);
    for (let k = 0; k < 1000; k++) {
      const r = rows100k[k]!;
      expect(all.users.toRaw(all.user[k]!)).toBe(r.user);
      expect(all.items.toRaw(all.item[k]!)).toBe(r.item);
      expect(all.rating![k]).toBe(r.rating);
    }
  });

  it('decodes back to the same table', () => {
    const back = interactionsToRatings(all);
    expect(back.userId).toEqual(table100k.userId);
    expect(back.movieId).toEqual(table100k.movieId);
    expect(back.rating).toEqual(table100k.rating);
    expect(back.timestamp).toEqual(table100k.timestamp);
  });

  it("counts per user and per movie, and the CSR rows hold each user's movies", () => {
    const perUser = countPerUser(all);
    const perItem = countPerItem(all);
    const expectedUser1 = rows100k
      .filter((r) => r.user === 1)
      .map((r) => r.item)
      .sort((a, b) => a - b);
    expect(perUser[0]).toBe(expectedUser1.length);
    expect(perItem.reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(perItem[all.items.toDense(50)]).toBe(rows100k.filter((r) => r.item === 50).length);
    const userItems = interactionsToCsr(all, all.rating!);
    const history = historyOf(userItems, 0);
    expect(Array.from(history.items, (i) => all.items.toRaw(i))).toEqual(expectedUser1);
    const ratingOf = new Map(rows100k.filter((r) => r.user === 1).map((r) => [r.item, r.rating]));
    expect(Array.from(history.values)).toEqual(expectedUser1.map((i) => ratingOf.get(i)));
    const itemUsers = transposeCsr(userItems);
    expect(historyOf(itemUsers, all.items.toDense(50)).items.length).toBe(perItem[all.items.toDense(50)]);
    expect(() => historyOf(userItems, 943)).toThrow(RangeError);
  });

  it('subsets, selects and concatenates over the same encoders', () => {
    const rows = Int32Array.of(5, 0, 99_999);
    const sub = subsetInteractions(all, rows);
    expect(sub.users).toBe(all.users);
    expect(Array.from(sub.item)).toEqual([all.item[5], all.item[0], all.item[99_999]]);
    expect(Array.from(sub.timestamp!)).toEqual([
      rows100k[5]!.timestamp,
      rows100k[0]!.timestamp,
      rows100k[99_999]!.timestamp,
    ]);
    const early = selectInteractions(
      all,
      Array.from(all.timestamp!, (t) => (t < 880_000_000 ? 1 : 0)),
    );
    const late = selectInteractions(
      all,
      Array.from(all.timestamp!, (t) => (t < 880_000_000 ? 0 : 1)),
    );
    expect(early.user.length).toBe(rows100k.filter((r) => r.timestamp < 880_000_000).length);
    const both = concatInteractions(early, late);
    expect(both.user.length).toBe(100_000);
    expect(countPerItem(both)).toEqual(countPerItem(all));
    const other = interactionsFromRatings(toRatingsTable(rows100k.slice(0, 10)));
    expect(() => concatInteractions(early, other)).toThrow(/share the same encoders/);
  });

  it('keeps ratings at or above a threshold', () => {
    const positives = keepRatingsAtLeast(all, 4);
    // MANIFEST.md: 34,174 fours and 21,201 fives.
    expect(positives.user.length).toBe(34_174 + 21_201);
    expect(positives.items).toBe(all.items);
    expect(Math.min(...positives.rating!)).toBe(4);
  });

  it('refuses a threshold on implicit-only data, naming it', () => {
    const implicit = interactionsFromRatings(toRatingsTable(rows100k.slice(0, 10), false, false));
    expect(() => keepRatingsAtLeast(implicit, 4)).toThrow(ValidationError);
    expect(() => keepRatingsAtLeast(implicit, 4)).toThrow(/^threshold: /);
  });

  it('rejects columns of different lengths', () => {
    expect(() => interactionsFromRatings({ ...table100k, rating: new Float32Array(3) })).toThrow(/^rating: /);
  });
});

describe('the ml-1m interactions file', () => {
  it('encodes 6,040 users and 3,706 rated movies and splits with the random leave-5 protocol', async () => {
    const table = await readInteractionsParquet(path.join(MOVIELENS_DIR, 'ml-1m', 'interactions.parquet'), {
      user: 'userID',
      item: 'movieID',
    });
    const all = interactionsFromRatings(table);
    expect(all.user.length).toBe(1_000_209);
    expect(all.users.size).toBe(6040);
    // ml-1m's README: 3,706 of the 3,883 movies have ratings.
    expect(all.items.size).toBe(3706);
    expect(all.rating).toBeNull();
    const split = splitInteractions(all, ML1M_INTERACTIONS_PROTOCOL);
    // Every ml-1m user has >= 20 ratings: each gives 5 to test and 1 to validation, less unknown movies.
    expect(split.report.usersHeldOut).toBe(6040);
    expect(split.report.sizes.test + split.report.dropped.test).toBe(6040 * 5);
    expect(split.report.sizes.validation + split.report.dropped.validation).toBe(6040);
    expect(split.report.sizes.train).toBe(1_000_209 - 6040 * 6);
    expect(split.report.droppedUnknownUsers.pairs).toBe(0);
  });
});
