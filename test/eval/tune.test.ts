import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { loadDatasetTables } from '../../src/data/load.js';
import { parseSpace } from '../../src/cli/tune.js';
import { candidateSettings, searchSpaceFor, tune, type TuneReport } from '../../src/eval/tune.js';
import { initBackend } from '../../src/tf/backend.js';

const SHARED = path.resolve(process.cwd(), '..', 'shared', 'movielens');

describe('candidateSettings', () => {
  const space = { a: [1, 2, 3], b: ['x', 'y'] };

  it('draws distinct settings, the same ones for the same seed, never a skipped one', () => {
    const first = candidateSettings(space, 'random', 4, 7, [{ a: 1, b: 'x' }]);
    expect(first).toEqual(candidateSettings(space, 'random', 4, 7, [{ a: 1, b: 'x' }]));
    expect(new Set(first.map((s) => JSON.stringify(s))).size).toBe(4);
    expect(first).not.toContainEqual({ a: 1, b: 'x' });
    expect(candidateSettings(space, 'random', 4, 8)).not.toEqual(first);
  });

  it('stops when the space is exhausted, and a grid covers the whole product', () => {
    expect(candidateSettings(space, 'random', 50, 1)).toHaveLength(6);
    const grid = candidateSettings(space, 'grid', 100, 1);
    expect(grid).toHaveLength(6);
    expect(new Set(grid.map((s) => `${s.a}${s.b}`))).toEqual(new Set(['1x', '1y', '2x', '2y', '3x', '3y']));
    expect(candidateSettings(space, 'grid', 2, 1)).toHaveLength(2);
  });

  it('reads --space overrides, refusing names the model does not have', () => {
    const defaults = { neighbours: 200, weighting: 'cosine' };
    expect(parseSpace(['neighbours=10, 20', 'weighting=bm25,tfidf'], defaults)).toEqual({
      neighbours: [10, 20],
      weighting: ['bm25', 'tfidf'],
    });
    expect(() => parseSpace(['factors=8'], defaults)).toThrow(/--space: 'factors' is not a hyperparameter/);
    expect(() => parseSpace(['neighbours'], defaults)).toThrow(ValidationError);
  });

  it('has a space for the models with hyperparameters only', () => {
    expect(Object.keys(searchSpaceFor('itemknn'))).toEqual(['neighbours', 'weighting']);
    expect(Object.keys(searchSpaceFor('als'))).toEqual(['factors', 'regularization', 'alpha', 'iterations']);
    expect(() => searchSpaceFor('popularity')).toThrow(ValidationError);
  });
});

describe('tune item-kNN on ml-100k', () => {
  let dataDir: string;
  let report: TuneReport;
  let trainOnly: TuneReport;

  beforeAll(async () => {
    await initBackend('wasm');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-tune-'));
    const tables = await loadDatasetTables('ml-100k', { dataDir, from: SHARED });
    const search = {
      tables,
      dataset: 'ml-100k',
      model: 'itemknn',
      space: { neighbours: [10, 50, 200] },
      trials: 3,
      seed: 3,
    } as const;
    report = await tune(search);
    trainOnly = await tune({ ...search, trials: 1, selectK: 10, refit: false });
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('tries the defaults first, then distinct settings from the space', () => {
    expect(report.trials).toHaveLength(3);
    expect(report.trials[0]!.hyperparameters).toEqual({
      neighbours: 200,
      weighting: 'cosine',
      bm25K1: 1.2,
      bm25B: 0.75,
      shrinkage: 0,
      minSupport: 1,
    });
    expect(new Set(report.trials.map((t) => t.hyperparameters.neighbours))).toEqual(new Set([10, 50, 200]));
  });

  it('scores trials on the validation slice and picks the best there', () => {
    for (const t of report.trials) {
      expect(t.validation.users_evaluated).toBe(report.split.users_validation);
      expect(t.validationStandardError).toBeGreaterThan(0);
    }
    // One validation rating per user: fewer users have a validation positive than a test positive.
    expect(report.split.users_validation).toBeLessThan(report.split.users_test);
    // Chosen on validation NDCG@100 by default (less noisy than @10 with one rating per user).
    const bestOnValidation = Math.max(...report.trials.map((t) => t.validation['ndcg@100'] as number));
    expect(report.best.validation['ndcg@100']).toBe(bestOnValidation);
    expect(report.metric).toBe('ndcg@100');
    expect(trainOnly.metric).toBe('ndcg@10');
    expect(trainOnly.trials[0]!.validation['ndcg@10']).toBeGreaterThan(0);
  });

  it('fits the test models on train + validation unless told not to', () => {
    expect(report.refit).toBe(true);
    expect(trainOnly.refit).toBe(false);
    // Same defaults, same test users; only the training data differs (the validation ratings).
    expect(trainOnly.defaults.test.users_evaluated).toBe(report.defaults.test.users_evaluated);
    expect(trainOnly.defaults.test['ndcg@10']).not.toBe(report.defaults.test['ndcg@10']);
  });

  it('reports the best setting and the defaults on the test slice', () => {
    expect(report.best.test.users_evaluated).toBe(report.split.users_test);
    expect(report.defaults.test.users_evaluated).toBe(report.split.users_test);
    expect(report.best.test['ndcg@10']).toBeGreaterThan(0);
    if (report.best.trial === 0) expect(report.best.test['ndcg@10']).toBe(report.defaults.test['ndcg@10']);
  });
});
