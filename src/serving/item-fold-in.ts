import { isFoldIn, isItemFoldIn, type ItemFoldIn } from '../models/types.js';
import { prepareHistory, sameAsTraining, type PreparedHistory } from './history.js';
import type { RatingValue, ServableModel } from './ports.js';

/**
 * The item side of fold-in for movies added after training (issue 15.2), for implicit ALS: a new movie's
 * vector is the model's own item half-step against its trained user factors (`foldInItem`: the step ALS
 * training runs for every item, with the user factors held), over its raters that the model was trained on,
 * their ratings given the values training gave them (history policy). Its score for a person is x . y, like
 * every other movie's, so it is placed in their ranking where that score falls (`placeByScore`).
 *
 * Other kinds (item-kNN, EASE, the neural model, popularity) have no item fold-in, and explicit ALS is left
 * out too; their new movies stay on the genre rule of new-movies.ts until the next training. Raters the model
 * does not know (users created after training) do not count.
 */

/** What placing new movies by score needs of a loaded ALS model. */
export interface FactorView {
  factors: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  foldInItem: ItemFoldIn['foldInItem'];
}

const views = new WeakMap<ServableModel, FactorView | null>();

/**
 * The factor view of a loaded model, or null where item fold-in is not supported (see above). Computed once
 * per loaded model.
 * @example const view = factorViewOf(loaded); if (view) solveItemVector(view, loaded, raters);
 */
export function factorViewOf(loaded: ServableModel): FactorView | null {
  const cached = views.get(loaded);
  if (cached !== undefined) return cached;
  const view = buildView(loaded);
  views.set(loaded, view);
  return view;
}

function buildView(loaded: ServableModel): FactorView | null {
  const { model } = loaded;
  const h = model.hyperparameters;
  if (model.kind !== 'als' || h.explicit === true || !isFoldIn(model) || !isItemFoldIn(model)) return null;
  const { arrays } = model.getState();
  const users = arrays.userFactors?.data;
  const items = arrays.itemFactors?.data;
  const f = Number(h.factors);
  if (!(users instanceof Float32Array) || !(items instanceof Float32Array) || !(f > 0)) return null;
  return {
    factors: f,
    userFactors: users,
    itemFactors: items,
    foldInItem: (raters) => model.foldInItem(raters),
  };
}

/**
 * A new movie's vector from its raters' ratings (`movieId` = the rater's user id), or null when none of its
 * positive raters is a trained user.
 * @example const y = solveItemVector(view, loaded, [{ movieId: 7, rating: 5 }]);
 */
export function solveItemVector(
  view: FactorView,
  loaded: ServableModel,
  raters: readonly RatingValue[],
): Float32Array | null {
  // The item side is the user side transposed: raters play the history's "movies", users the encoder.
  const side = prepareHistory(raters, loaded.model.users, loaded.historyPolicy).positives;
  return side ? view.foldInItem(side) : null;
}

/**
 * A person's vector: their trained factors when their ratings are those of training, else the model's
 * fold-in of their positives; null without positives.
 * @example const x = personVector(view, loaded, userId, history);
 */
export function personVector(
  view: FactorView,
  loaded: ServableModel,
  userId: number,
  history: PreparedHistory,
): Float32Array | null {
  if (!history.positives) return null;
  const { model } = loaded;
  const dense = model.users.toDense(userId);
  if (dense >= 0 && loaded.seen && sameAsTraining(loaded.seen, dense, history.ratedDense)) {
    return view.userFactors.subarray(dense * view.factors, (dense + 1) * view.factors);
  }
  return isFoldIn(model) ? model.foldIn(history.positives) : null;
}

/**
 * `ranked` with each new movie inserted just before the first listed movie the model scores lower for the
 * person (x . y), best new movie first; cut to `depth`. Listed movies the model does not know are skipped
 * when comparing.
 * @example placeByScore(ids, [{ id: 1683, vector }], x, view, loaded, 100)
 */
export function placeByScore(
  ranked: readonly number[],
  scored: readonly { id: number; vector: Float32Array }[],
  person: Float32Array,
  view: FactorView,
  loaded: ServableModel,
  depth: number,
): number[] {
  const f = view.factors;
  const dot = (v: Float32Array, o = 0): number => {
    let s = 0;
    for (let i = 0; i < f; i++) s += (person[i] as number) * (v[o + i] as number);
    return s;
  };
  const entries = ranked.map((id) => {
    const dense = loaded.model.items.toDense(id);
    return { id, score: dense >= 0 ? dot(view.itemFactors, dense * f) : Number.NaN };
  });
  const fresh = scored
    .map((s) => ({ id: s.id, score: dot(s.vector) }))
    .sort((a, b) => b.score - a.score || b.id - a.id);
  for (const movie of fresh) {
    const at = entries.findIndex((e) => e.score < movie.score);
    entries.splice(at < 0 ? entries.length : at, 0, movie);
  }
  return entries.slice(0, depth).map((e) => e.id);
}
