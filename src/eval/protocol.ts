/**
 * The evaluation protocols: how a dataset is split before models are fit and scored.
 *
 * - `seed-temporal`: the seed project's per-user temporal leave-last-5 (1 validation, users with < 11 ratings
 *   whole in train). Ratings with equal timestamps keep the order of the rows in the ratings table
 *   (SEED_PROTOCOL's `ties: 'row-order'`), as the seed and the reference figures of issue 5 did.
 * - `random-leave-5`: the same shape with a seeded random choice per user, for data without timestamps (the
 *   ml-1m interactions); seed 42 unless given.
 */
import type { DatasetTables } from '../data/schema.js';
import { interactionsFromRatings } from '../dataset/interactions.js';
import {
  ML1M_INTERACTIONS_PROTOCOL,
  SEED_PROTOCOL,
  splitInteractions,
  type Split,
  type SplitSpec,
} from '../dataset/splits.js';
import type { Interactions } from '../dataset/types.js';

export const PROTOCOL_NAMES = ['seed-temporal', 'random-leave-5'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/**
 * The protocol a dataset gets by default: temporal where it has timestamps, random leave-5-out otherwise.
 * @example defaultProtocol(interactionsFromRatings(tables.ratings)); // 'seed-temporal'
 */
export function defaultProtocol(interactions: Interactions): ProtocolName {
  return interactions.timestamp ? 'seed-temporal' : 'random-leave-5';
}

/**
 * The split spec of a protocol (`seed` only matters for the random one).
 * @example protocolSpec('random-leave-5', 7); // { strategy: 'random-leave-n', test: 5, ..., seed: 7 }
 */
export function protocolSpec(
  protocol: ProtocolName,
  seed: number = ML1M_INTERACTIONS_PROTOCOL.seed,
): SplitSpec {
  return protocol === 'seed-temporal' ? SEED_PROTOCOL : { ...ML1M_INTERACTIONS_PROTOCOL, seed };
}

export interface ProtocolSplit {
  protocol: ProtocolName;
  split: Split;
}

/**
 * Encodes the tables and splits them under `protocol` ('auto' picks `defaultProtocol`).
 * @example const { protocol, split } = splitForProtocol(tables, 'auto');
 */
export function splitForProtocol(
  tables: DatasetTables,
  protocol: ProtocolName | 'auto' = 'auto',
  seed?: number,
): ProtocolSplit {
  const interactions = interactionsFromRatings(tables.ratings);
  const chosen = protocol === 'auto' ? defaultProtocol(interactions) : protocol;
  return { protocol: chosen, split: splitInteractions(interactions, protocolSpec(chosen, seed)) };
}
