import { topKRow } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';
import type { UserHistory } from '../models/types.js';
import { sameAsTraining, type PreparedHistory } from './history.js';
import type { ServableModel } from './ports.js';

interface Pending {
  userId: number;
  history: PreparedHistory & { positives: UserHistory };
  resolve: (items: number[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Ranks users in batches: requests that arrive in the same turn of the event loop are scored together, one
 * `recommend` call for users whose ratings are still those the model was trained on (their trained factors
 * answer) and one `recommendForHistories` call for the others (fold-in). A model call has a fixed cost per
 * batch (tensor setup, kernel dispatch), so under load 50 concurrent requests cost little more than one.
 * @example const batcher = createRankBatcher(100); const items = await batcher.rank(loaded, userId, history);
 */
export interface RankBatcher {
  /** The model's top `depth` items (dense) for the user, leaving out every item of `history.ratedDense`. */
  rank(
    loaded: ServableModel,
    userId: number,
    history: PreparedHistory & { positives: UserHistory },
  ): Promise<number[]>;
}

export function createRankBatcher(depth: number, maxBatch = 64): RankBatcher {
  let queued = new Map<ServableModel, Pending[]>();
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const groups = queued;
    queued = new Map();
    for (const [loaded, entries] of groups) {
      const known: Pending[] = [];
      const changed: Pending[] = [];
      try {
        for (const entry of entries) {
          const dense = loaded.model.users.toDense(entry.userId);
          const unchanged =
            dense >= 0 &&
            loaded.seen !== null &&
            sameAsTraining(loaded.seen, dense, entry.history.ratedDense);
          (unchanged ? known : changed).push(entry);
        }
      } catch (error) {
        // Nothing else would ever settle these requests (this runs from setImmediate): fail them instead.
        for (const entry of entries) entry.reject(error);
        continue;
      }
      for (let i = 0; i < known.length; i += maxBatch) void runKnown(loaded, known.slice(i, i + maxBatch));
      for (let i = 0; i < changed.length; i += maxBatch)
        void runFoldIn(loaded, changed.slice(i, i + maxBatch));
    }
  };

  async function runKnown(loaded: ServableModel, batch: Pending[]): Promise<void> {
    const { model } = loaded;
    await settle(batch, () =>
      model.recommend(
        Int32Array.from(batch, (entry) => model.users.toDense(entry.userId)),
        depth,
        { excludeSeen: true, exclude: exclusions(batch, model.items.size) },
      ),
    );
  }

  async function runFoldIn(loaded: ServableModel, batch: Pending[]): Promise<void> {
    const histories = batch.map((entry) => entry.history.positives);
    await settle(batch, () =>
      loaded.model.recommendForHistories(histories, depth, {
        exclude: exclusions(batch, loaded.model.items.size),
      }),
    );
  }

  return {
    rank(loaded, userId, history) {
      return new Promise((resolve, reject) => {
        const entries = queued.get(loaded) ?? [];
        entries.push({ userId, history, resolve, reject });
        queued.set(loaded, entries);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

async function settle(
  batch: Pending[],
  score: () => Promise<{ ids: Int32Array; scores: Float32Array; k: number }>,
): Promise<void> {
  try {
    const top = await score();
    batch.forEach((entry, q) => entry.resolve(topKRow(top, q).ids));
  } catch (error) {
    for (const entry of batch) entry.reject(error);
  }
}

/** One row per request: every item the user rated (so low ratings are never recommended either). */
function exclusions(batch: readonly Pending[], nCols: number): CsrMatrix {
  const indptr = new Int32Array(batch.length + 1);
  batch.forEach((entry, q) => (indptr[q + 1] = (indptr[q] as number) + entry.history.ratedDense.length));
  const indices = new Int32Array(indptr[batch.length] as number);
  batch.forEach((entry, q) => indices.set(entry.history.ratedDense, indptr[q] as number));
  return { nRows: batch.length, nCols, indptr, indices, values: new Float32Array(indices.length).fill(1) };
}
