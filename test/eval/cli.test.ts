import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recsys, SHARED_MOVIELENS } from './cli-support.js';

const SHARED = SHARED_MOVIELENS;

describe('recsys evaluate and recsys tune (real processes)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cli-eval-'));
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints the JSON report with the issue key names, @k following --k', async () => {
    const { code, stdout, stderr } = await recsys([
      'evaluate',
      '--dataset',
      'ml-100k',
      '--from',
      SHARED,
      '--data-dir',
      dataDir,
      '--models',
      'popularity',
      '--k',
      '5',
      '--json',
    ]);
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      dataset: string;
      split: { sizes: { train: number } };
      models: Record<string, Record<string, number>>;
    };
    expect(report.dataset).toBe('ml-100k');
    expect(report.split.sizes.train).toBeGreaterThan(0);
    expect(Object.keys(report.models)).toEqual(['popularity']);
    for (const key of [
      'precision@5',
      'recall@5',
      'map@5',
      'ndcg@5',
      'mrr@5',
      'hitrate@5',
      'coverage@5',
      'fit_seconds',
    ]) {
      expect(typeof report.models.popularity![key], key).toBe('number');
    }
  });

  it('refuses an unknown model naming the flag, with the usage exit code', async () => {
    const { code, stderr } = await recsys(['evaluate', '--dataset', 'ml-100k', '--models', 'popularity,svd']);
    expect(code).toBe(64);
    expect(stderr).toMatch(/--models: unknown model 'svd'/);
  });

  it('refuses to tune a model without hyperparameters', async () => {
    const { code, stderr } = await recsys(['tune', '--model', 'popularity', '--dataset', 'ml-100k']);
    expect(code).toBe(64);
    expect(stderr).toMatch(/popularity has no hyperparameters to tune/);
  });
});
