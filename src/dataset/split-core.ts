import { ValidationError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { countingOrder } from './csr.js';
import { subsetInteractions } from './interactions.js';
import type { Interactions } from './types.js';

/**
 * The one core every split strategy runs on: group each user's rows, order them (by time, or shuffled), hold
 * out the tail of each user's order, then drop held-out pairs whose user or item has no train interaction.
 * Strategies differ only in the per-user order and in how many rows they hold out.
 */

/** Each user's rows: `order[start[u] .. start[u+1])`, ascending dense item index within a user. */
export interface UserGroups {
  readonly order: Int32Array;
  readonly start: Int32Array;
}

export const SIDE_TRAIN = 0;
export const SIDE_VALIDATION = 1;
export const SIDE_TEST = 2;
const SIDE_DROPPED = 3;

/**
 * Groups rows by user with items ascending inside each group, so the grouping does not depend on the input's
 * row order. A (user, item) pair that occurs twice is an error: a split could put it on both sides.
 */
export function groupByUser(interactions: Interactions): UserGroups {
  const { user, item, users, items } = interactions;
  const byItem = countingOrder(item, items.size);
  const start = new Int32Array(users.size + 1);
  for (let k = 0; k < user.length; k++) start[(user[k] as number) + 1]!++;
  for (let u = 0; u < users.size; u++) start[u + 1]! += start[u] as number;
  const cursor = start.slice(0, users.size);
  const order = new Int32Array(user.length);
  for (let k = 0; k < byItem.length; k++) {
    const r = byItem[k] as number;
    order[cursor[user[r] as number]!++] = r;
  }
  for (let u = 0; u < users.size; u++) {
    for (let k = (start[u] as number) + 1; k < (start[u + 1] as number); k++) {
      if (item[order[k] as number] === item[order[k - 1] as number]) {
        const rawItem = items.toRaw(item[order[k] as number] as number);
        throw new ValidationError(
          'interactions',
          `user ${users.toRaw(u)} has movie ${rawItem} twice; splits need each (user, movie) pair once`,
        );
      }
    }
  }
  return { order, start };
}

/**
 * How equal timestamps of one user are ordered: `item-id` (ascending raw movie id: the split does not depend on
 * the file's row order) or `row-order` (the order of the rows in the ratings table, i.e. a stable sort by time,
 * which is what the seed project's pandas pipeline did).
 */
export type TieBreak = 'item-id' | 'row-order';

/** Sorts each user's rows by timestamp, equal timestamps ordered by `ties`. */
export function orderByTime(
  interactions: Interactions,
  groups: UserGroups,
  ties: TieBreak = 'item-id',
): void {
  const timestamp = interactions.timestamp;
  if (!timestamp) throw new Error('orderByTime needs timestamps');
  const item = interactions.item;
  // Row indices are the rows' positions in the table, so comparing them gives row order.
  const byTimeThenItem = (a: number, b: number): number =>
    (timestamp[a] as number) - (timestamp[b] as number) || (item[a] as number) - (item[b] as number);
  const byTimeThenRow = (a: number, b: number): number =>
    (timestamp[a] as number) - (timestamp[b] as number) || a - b;
  const compare = ties === 'row-order' ? byTimeThenRow : byTimeThenItem;
  const { order, start } = groups;
  for (let u = 0; u + 1 < start.length; u++) {
    const s = start[u] as number;
    const e = start[u + 1] as number;
    if (e - s > 1) order.subarray(s, e).sort(compare);
  }
}

/**
 * Moves a uniformly random sample of `heldOut(n)` rows to the tail of each user's group (a partial
 * Fisher-Yates from the end). Users are visited in dense order and draw from one stream, so one seed gives
 * one split.
 */
export function shuffleTails(groups: UserGroups, heldOut: (n: number) => number, rng: Rng): void {
  const { order, start } = groups;
  for (let u = 0; u + 1 < start.length; u++) {
    const s = start[u] as number;
    const e = start[u + 1] as number;
    const h = heldOut(e - s);
    for (let i = e - 1; i >= e - h && i > s; i--) {
      const j = s + rng.int(i - s + 1);
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
  }
}

/** How many of a user's n rows go to test and validation; null keeps the user whole in train. */
export type HoldOut = (n: number) => { test: number; validation: number } | null;

export interface SideCounts {
  users: number;
  usersWholeInTrain: number;
  usersHeldOut: number;
}

/**
 * Side of every row (train, validation, test): the last `test` rows of a user's order to test, the
 * `validation` rows before them to validation, the rest to train.
 */
export function assignSides(
  groups: UserGroups,
  nRows: number,
  holdOut: HoldOut,
): { sides: Uint8Array; counts: SideCounts } {
  const { order, start } = groups;
  const sides = new Uint8Array(nRows);
  const counts: SideCounts = { users: 0, usersWholeInTrain: 0, usersHeldOut: 0 };
  for (let u = 0; u + 1 < start.length; u++) {
    const s = start[u] as number;
    const e = start[u + 1] as number;
    if (e === s) continue;
    counts.users++;
    const held = holdOut(e - s);
    if (!held || held.test + held.validation === 0) {
      counts.usersWholeInTrain++;
      continue;
    }
    counts.usersHeldOut++;
    const testFrom = e - held.test;
    const validationFrom = testFrom - held.validation;
    for (let k = Math.max(s, validationFrom); k < testFrom; k++) sides[order[k] as number] = SIDE_VALIDATION;
    for (let k = Math.max(s, testFrom); k < e; k++) sides[order[k] as number] = SIDE_TEST;
  }
  return { sides, counts };
}

/** Pairs (and distinct ids) dropped from validation and test because train never saw them. */
export interface DroppedUnknown {
  /** Dropped pairs whose user has no train interaction / distinct such users. */
  droppedUnknownUsers: { pairs: number; ids: number };
  /** Dropped pairs whose item has no train interaction / distinct such items. A pair can count in both. */
  droppedUnknownItems: { pairs: number; ids: number };
  /** Dropped pairs per side (each pair once). */
  dropped: { validation: number; test: number };
}

/** Marks validation and test rows whose user or item never occurs in train as dropped, and counts them. */
export function dropUnknown(interactions: Interactions, sides: Uint8Array): DroppedUnknown {
  const { user, item, users, items } = interactions;
  const trainUser = new Uint8Array(users.size);
  const trainItem = new Uint8Array(items.size);
  for (let r = 0; r < sides.length; r++) {
    if (sides[r] === SIDE_TRAIN) {
      trainUser[user[r] as number] = 1;
      trainItem[item[r] as number] = 1;
    }
  }
  const droppedUser = new Uint8Array(users.size);
  const droppedItem = new Uint8Array(items.size);
  const result: DroppedUnknown = {
    droppedUnknownUsers: { pairs: 0, ids: 0 },
    droppedUnknownItems: { pairs: 0, ids: 0 },
    dropped: { validation: 0, test: 0 },
  };
  for (let r = 0; r < sides.length; r++) {
    const side = sides[r] as number;
    if (side === SIDE_TRAIN) continue;
    const u = user[r] as number;
    const i = item[r] as number;
    const userUnknown = trainUser[u] === 0;
    const itemUnknown = trainItem[i] === 0;
    if (!userUnknown && !itemUnknown) continue;
    if (userUnknown) {
      result.droppedUnknownUsers.pairs++;
      if (droppedUser[u] === 0) result.droppedUnknownUsers.ids++;
      droppedUser[u] = 1;
    }
    if (itemUnknown) {
      result.droppedUnknownItems.pairs++;
      if (droppedItem[i] === 0) result.droppedUnknownItems.ids++;
      droppedItem[i] = 1;
    }
    if (side === SIDE_VALIDATION) result.dropped.validation++;
    else result.dropped.test++;
    sides[r] = SIDE_DROPPED;
  }
  return result;
}

/** The three sides as interactions over the dataset's encoders, each in the input's row order. */
export function materializeSides(
  interactions: Interactions,
  sides: Uint8Array,
): { train: Interactions; validation: Interactions; test: Interactions } {
  const sizes = [0, 0, 0, 0];
  for (let r = 0; r < sides.length; r++) sizes[sides[r] as number]!++;
  const rows = sizes.map((n) => new Int32Array(n));
  const fill = [0, 0, 0, 0];
  for (let r = 0; r < sides.length; r++) {
    const side = sides[r] as number;
    rows[side]![fill[side]!++] = r;
  }
  return {
    train: subsetInteractions(interactions, rows[SIDE_TRAIN] as Int32Array),
    validation: subsetInteractions(interactions, rows[SIDE_VALIDATION] as Int32Array),
    test: subsetInteractions(interactions, rows[SIDE_TEST] as Int32Array),
  };
}
