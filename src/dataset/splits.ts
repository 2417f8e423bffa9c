import { ValidationError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import {
  assignSides,
  dropUnknown,
  groupByUser,
  materializeSides,
  orderByTime,
  shuffleTails,
  type DroppedUnknown,
  type HoldOut,
  type TieBreak,
} from './split-core.js';
import type { Interactions } from './types.js';

/**
 * Per-user splits, named by strategy over one core (split-core.ts). Every strategy orders each user's
 * interactions and holds out the tail of that order: the last `test` to test, the `validation` before them to
 * validation, the rest to train. Users with fewer than `minHistory` interactions stay whole in train.
 *
 * - `temporal-leave-n`: order by timestamp; equal timestamps are ordered by `ties`: ascending raw movie id
 *   (the default: the split never depends on the file's row order) or the file's row order (the seed protocol,
 *   as the seed project's stable sort did; ml-100k has ties at the train/test boundary for 463 of 943 users).
 * - `temporal-fraction`: same order; `round(n * testFraction)` to test and `round(n * validationFraction)` to
 *   validation, always leaving at least one interaction in train (validation shrinks first, then test).
 * - `random-leave-n` / `random-fraction`: a seeded uniform sample per user instead of the most recent ones.
 *
 * Held-out pairs whose user or movie has no train interaction are dropped and counted in the report.
 */

export type SplitStrategy = 'temporal-leave-n' | 'temporal-fraction' | 'random-leave-n' | 'random-fraction';
export const SPLIT_STRATEGIES: readonly SplitStrategy[] = [
  'temporal-leave-n',
  'temporal-fraction',
  'random-leave-n',
  'random-fraction',
];

export interface LeaveN {
  /** Interactions per user to test (>= 1). */
  test: number;
  /** Interactions per user to validation, taken just before the test ones (default 0). */
  validation?: number;
  /** Users with fewer interactions stay whole in train (default test + validation + 1). */
  minHistory?: number;
}

export interface Fraction {
  /** Share of each user's interactions to test, in (0, 1). */
  testFraction: number;
  /** Share to validation (default 0); testFraction + validationFraction < 1. */
  validationFraction?: number;
  /** Users with fewer interactions stay whole in train (default 2). */
  minHistory?: number;
}

export type { TieBreak };

/** Temporal strategies only: how equal timestamps of a user are ordered (default 'item-id'). */
export interface Ties {
  ties?: TieBreak;
}

export type SplitSpec =
  | ({ strategy: 'temporal-leave-n' } & LeaveN & Ties)
  | ({ strategy: 'temporal-fraction' } & Fraction & Ties)
  | ({ strategy: 'random-leave-n'; seed: number } & LeaveN)
  | ({ strategy: 'random-fraction'; seed: number } & Fraction);

export interface SplitReport extends DroppedUnknown {
  strategy: SplitStrategy;
  seed: number | null;
  /** Users with at least one interaction. */
  users: number;
  /** Users below minHistory, kept whole in train. */
  usersWholeInTrain: number;
  /** Users who gave interactions to validation or test (before dropping). */
  usersHeldOut: number;
  /** Sizes after dropping. */
  sizes: { train: number; validation: number; test: number };
}

export interface Split {
  train: Interactions;
  validation: Interactions;
  test: Interactions;
  report: SplitReport;
}

/**
 * The seed project's protocol: per user, last 5 by time to test, the one before to validation, users with
 * fewer than 11 ratings whole in train; equal timestamps in row order, as the seed's stable sort had them
 * (breaking them by movie id instead moves ml-100k popularity NDCG@10 from 0.070 to 0.058).
 */
export const SEED_PROTOCOL = {
  strategy: 'temporal-leave-n',
  test: 5,
  validation: 1,
  minHistory: 11,
  ties: 'row-order',
} as const satisfies SplitSpec;

/** The protocol for data without timestamps (ml-1m interactions.parquet): a seeded random leave-5-out. */
export const ML1M_INTERACTIONS_PROTOCOL = {
  strategy: 'random-leave-n',
  test: 5,
  validation: 1,
  minHistory: 11,
  seed: 42,
} as const satisfies SplitSpec;

/**
 * Splits interactions per user. The three sides share the dataset's encoders and keep the input's row order.
 * @example const { train, validation, test, report } = splitInteractions(all, SEED_PROTOCOL);
 */
export function splitInteractions(interactions: Interactions, spec: SplitSpec): Split {
  if (!SPLIT_STRATEGIES.includes(spec.strategy)) {
    throw new ValidationError('strategy', `unknown strategy '${String(spec.strategy)}'`);
  }
  const temporal = spec.strategy === 'temporal-leave-n' || spec.strategy === 'temporal-fraction';
  if (temporal && !interactions.timestamp) {
    throw new ValidationError(
      'strategy',
      `'${spec.strategy}' needs timestamps, but these interactions have none; use 'random-leave-n' or 'random-fraction'`,
    );
  }
  const holdOut = holdOutRule(spec);
  const groups = groupByUser(interactions);
  if (temporal) {
    orderByTime(interactions, groups, (spec as Ties).ties);
  } else {
    const seed = (spec as { seed: number }).seed;
    if (!Number.isInteger(seed)) throw new ValidationError('seed', `must be an integer, got ${String(seed)}`);
    const heldCount = (n: number): number => {
      const held = holdOut(n);
      return held ? held.test + held.validation : 0;
    };
    shuffleTails(groups, heldCount, createRng(seed));
  }
  const { sides, counts } = assignSides(groups, interactions.user.length, holdOut);
  const dropped = dropUnknown(interactions, sides);
  const { train, validation, test } = materializeSides(interactions, sides);
  return {
    train,
    validation,
    test,
    report: {
      strategy: spec.strategy,
      seed: 'seed' in spec ? spec.seed : null,
      ...counts,
      sizes: { train: train.user.length, validation: validation.user.length, test: test.user.length },
      ...dropped,
    },
  };
}

/**
 * The seed protocol (temporal leave-last-5, 1 validation, users with fewer than 11 kept whole in train).
 * @example const split = temporalLeaveLastN(all, { test: 5, validation: 1, minHistory: 11 });
 */
export function temporalLeaveLastN(interactions: Interactions, options: LeaveN): Split {
  return splitInteractions(interactions, { strategy: 'temporal-leave-n', ...options });
}

/**
 * A per-user temporal fraction split.
 * @example const split = temporalFraction(all, { testFraction: 0.2, validationFraction: 0.1 });
 */
export function temporalFraction(interactions: Interactions, options: Fraction): Split {
  return splitInteractions(interactions, { strategy: 'temporal-fraction', ...options });
}

/**
 * A per-user seeded random leave-n-out split.
 * @example const split = randomLeaveN(all, { test: 5, validation: 1, minHistory: 11, seed: 42 });
 */
export function randomLeaveN(interactions: Interactions, options: LeaveN & { seed: number }): Split {
  return splitInteractions(interactions, { strategy: 'random-leave-n', ...options });
}

/**
 * A per-user seeded random fraction split.
 * @example const split = randomFraction(all, { testFraction: 0.2, seed: 7 });
 */
export function randomFraction(interactions: Interactions, options: Fraction & { seed: number }): Split {
  return splitInteractions(interactions, { strategy: 'random-fraction', ...options });
}

function holdOutRule(spec: SplitSpec): HoldOut {
  if (spec.strategy === 'temporal-leave-n' || spec.strategy === 'random-leave-n') {
    const test = spec.test;
    const validation = spec.validation ?? 0;
    const minHistory = spec.minHistory ?? test + validation + 1;
    requireInteger('test', test, 1);
    requireInteger('validation', validation, 0);
    requireInteger('minHistory', minHistory, 1);
    return (n) =>
      n < minHistory
        ? null
        : { test: Math.min(test, n), validation: Math.min(validation, n - Math.min(test, n)) };
  }
  const testFraction = spec.testFraction;
  const validationFraction = spec.validationFraction ?? 0;
  const minHistory = spec.minHistory ?? 2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ValidationError('testFraction', `must be in (0, 1), got ${testFraction}`);
  }
  if (!(validationFraction >= 0 && testFraction + validationFraction < 1)) {
    throw new ValidationError(
      'validationFraction',
      `must be >= 0 with testFraction + validationFraction < 1, got ${validationFraction}`,
    );
  }
  requireInteger('minHistory', minHistory, 1);
  return (n) => {
    if (n < minHistory) return null;
    const test = Math.min(Math.round(n * testFraction), n - 1);
    const validation = Math.min(Math.round(n * validationFraction), n - 1 - test);
    return { test, validation };
  };
}

function requireInteger(field: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new ValidationError(field, `must be an integer >= ${min}, got ${String(value)}`);
  }
}
