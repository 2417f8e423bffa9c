import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import type { TrainingMatrix } from '../../src/models/types.js';

/** A small training matrix and, for each user, the item a correct model must rank first for them. */
export interface ConformanceFixture {
  train: TrainingMatrix;
  expectedFirst: Int32Array;
}

function matrixOf(nUsers: number, nItems: number, pairs: [number, number][]): TrainingMatrix {
  const rows = Int32Array.from(pairs.map((p) => p[0]));
  const cols = Int32Array.from(pairs.map((p) => p[1]));
  // Raw ids differ from dense indices (users 101.., items 1001..) so a mix-up would show.
  return {
    userItems: buildCsr(nUsers, nItems, rows, cols),
    users: createIdEncoder(Int32Array.from({ length: nUsers }, (_, u) => 101 + u)),
    items: createIdEncoder(Int32Array.from({ length: nItems }, (_, i) => 1001 + 2 * i)),
  };
}

/**
 * Checkerboard (block-diagonal) data for personalized models: `groups` groups of users and items; each user
 * has every item of their own group except one withheld item, which is the only unseen item that shares
 * anything with their history, so it must rank first. The withheld item rotates within the group.
 */
export function checkerboardFixture(groups = 3, usersPerGroup = 8, itemsPerGroup = 6): ConformanceFixture {
  const pairs: [number, number][] = [];
  const expectedFirst = new Int32Array(groups * usersPerGroup);
  for (let g = 0; g < groups; g++) {
    for (let local = 0; local < usersPerGroup; local++) {
      const user = g * usersPerGroup + local;
      const withheld = g * itemsPerGroup + (local % itemsPerGroup);
      expectedFirst[user] = withheld;
      for (let j = 0; j < itemsPerGroup; j++) {
        const item = g * itemsPerGroup + j;
        if (item !== withheld) pairs.push([user, item]);
      }
    }
  }
  return { train: matrixOf(groups * usersPerGroup, groups * itemsPerGroup, pairs), expectedFirst };
}

/**
 * Data for the popularity baseline: item j is liked by 9 - j users (distinct counts 9..2), spread so that
 * users' histories differ; each user's expected first item is the most liked item they have not seen.
 */
export function popularityFixture(nUsers = 10, nItems = 8): ConformanceFixture {
  const pairs: [number, number][] = [];
  const seen = Array.from({ length: nUsers }, () => new Set<number>());
  for (let j = 0; j < nItems; j++) {
    for (let t = 0; t < 9 - j; t++) {
      const user = (3 * j + t) % nUsers;
      pairs.push([user, j]);
      seen[user]!.add(j);
    }
  }
  const expectedFirst = new Int32Array(nUsers).fill(-1);
  for (let u = 0; u < nUsers; u++) {
    for (let j = 0; j < nItems; j++) {
      if (!seen[u]!.has(j)) {
        expectedFirst[u] = j;
        break;
      }
    }
  }
  return { train: matrixOf(nUsers, nItems, pairs), expectedFirst };
}
