import { expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { DATASET_NAMES } from '../../src/core/types.js';
import { defaultModelFor, EASE_DEFAULT_DATASETS, loadConfig } from '../../src/config.js';
import { easeFactory } from '../../src/models/ease.js';

it('RECSYS_MODEL defaults to EASE on the default dataset (ml-1m) and on every catalogue under its item limit', () => {
  expect(loadConfig({}).dataset).toBe('ml-1m');
  expect(loadConfig({}).model).toBe('ease');
  expect(loadConfig({ RECSYS_MODEL: '' }).model).toBe('ease');
  for (const dataset of EASE_DEFAULT_DATASETS) {
    expect(loadConfig({ RECSYS_DATASET: dataset }).model).toBe('ease');
  }
  // ml-latest-small, the largest of them, has 9,742 movies: under the default limit.
  expect(easeFactory.defaults.maxItems).toBeGreaterThanOrEqual(9_742);
});

it('keeps ALS for the catalogues above the item limit, and an explicit RECSYS_MODEL always wins', () => {
  for (const dataset of DATASET_NAMES.filter((d) => !EASE_DEFAULT_DATASETS.includes(d))) {
    expect(defaultModelFor(dataset)).toBe('als');
    expect(loadConfig({ RECSYS_DATASET: dataset }).model).toBe('als');
  }
  expect(loadConfig({ RECSYS_MODEL: 'als' }).model).toBe('als');
  expect(loadConfig({ RECSYS_DATASET: 'ml-25m', RECSYS_MODEL: 'ease' }).model).toBe('ease');
  expect(loadConfig({}, { model: 'itemknn' }).model).toBe('itemknn');
  expect(() => loadConfig({ RECSYS_MODEL: 'svd' })).toThrow(ConfigError);
});

// Pins a bug: with RECSYS_DATA_DIR=gs://..., `recsys start` wrote its generated API token to a local folder
// literally named `gs:/bucket/...`. Local-only state now goes to a local folder.
it('keeps local-only state (the generated API token) in a local folder when the data dir is gs://', () => {
  expect(loadConfig({ RECSYS_DATA_DIR: 'gs://bucket/recsys' }).localStateDir).toBe('./data');
  expect(loadConfig({ RECSYS_DATA_DIR: '/srv/recsys' }).localStateDir).toBe('/srv/recsys');
  expect(loadConfig({}).localStateDir).toBe('./data');
});
