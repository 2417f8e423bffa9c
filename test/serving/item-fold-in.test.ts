/**
 * The item side of fold-in (src/serving/item-fold-in.ts) against a real ALS artifact trained on ml-100k: solving
 * a trained movie from its raters with the user factors held gives back its trained vector (training's last
 * half-step), so a new movie's vector is what training would give it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadArtifact } from '../../src/artifacts/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { historyPolicyFrom } from '../../src/serving/history.js';
import { factorViewOf, solveItemVector } from '../../src/serving/item-fold-in.js';
import type { ServableModel } from '../../src/serving/ports.js';
import { createStore } from '../../src/storage/store.js';
import { ml100kWithArtifact, TEST_MODEL } from '../api/support.js';

let tables: DatasetTables;
let loaded: ServableModel;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('itemfoldin');
  cleanups.push(fixture.remove);
  tables = fixture.tables;
  const artifact = await loadArtifact(createStore(fixture.artifactsDir), TEST_MODEL);
  loaded = {
    model: artifact.model,
    kind: TEST_MODEL,
    version: artifact.ref.version,
    loadedAt: new Date(),
    seen: artifact.seen,
    historyPolicy: historyPolicyFrom(artifact.manifest.training),
  };
  cleanups.push(async () => artifact.model.dispose());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it('is offered for implicit ALS only', () => {
  expect(factorViewOf(loaded)).not.toBeNull();
  expect(
    factorViewOf({ ...loaded, model: Object.create(loaded.model, { kind: { value: 'ease' } }) }),
  ).toBeNull();
});

it('answers null for a movie without a trained positive rater', () => {
  const view = factorViewOf(loaded)!;
  expect(solveItemVector(view, loaded, [])).toBeNull();
  expect(solveItemVector(view, loaded, [{ movieId: 99999, rating: 5 }])).toBeNull();
  expect(solveItemVector(view, loaded, [{ movieId: 1, rating: 1 }])).toBeNull();
});

it('solves a trained movie back to (nearly) its trained item vector from its raters', () => {
  const view = factorViewOf(loaded)!;
  expect(view).not.toBeNull();
  const f = view.factors;
  for (const movie of [50, 1, 300]) {
    const raters = [];
    for (let i = 0; i < tables.ratings.length; i++) {
      if (tables.ratings.movieId[i] === movie) {
        raters.push({
          movieId: tables.ratings.userId[i] as number,
          rating: tables.ratings.rating?.[i] ?? null,
        });
      }
    }
    const y = solveItemVector(view, loaded, raters)!;
    const dense = loaded.model.items.toDense(movie);
    const trained = view.itemFactors.subarray(dense * f, (dense + 1) * f);
    for (let i = 0; i < f; i++)
      expect(Math.abs((y[i] as number) - (trained[i] as number))).toBeLessThan(0.01);
  }
});
