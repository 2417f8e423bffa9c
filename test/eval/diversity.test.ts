import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetTables } from '../../src/data/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import {
  DIVERSITY_CANDIDATES,
  popularityProfile,
  runDiversityExperiment,
  type DiversityExperimentReport,
} from '../../src/eval/diversity.js';
import { runExperiment } from '../../src/eval/experiment.js';
import { initBackend } from '../../src/tf/backend.js';

const SHARED = path.resolve(process.cwd(), '..', 'shared', 'movielens');

describe('popularityProfile', () => {
  it('ranks by popularity (ties by index) and puts the smallest prefix holding 80% in the head', () => {
    const p = popularityProfile(Float64Array.from([5, 1, 4, 0, 4]));
    expect(Array.from(p.rank)).toEqual([1, 4, 2, 5, 3]);
    // Total 14; 80% = 11.2: 5 + 4 = 9 is short, 5 + 4 + 4 = 13 holds it.
    expect(p.headItems).toBe(3);
    expect(Array.from(p.tail)).toEqual([0, 1, 0, 1, 0]);
  });
});

/** ml-100k, seed protocol, popularity model (fast): level 0 reproduces the plain evaluation. */
describe('runDiversityExperiment on ml-100k', () => {
  let dataDir: string;
  let tables: DatasetTables;
  let report: DiversityExperimentReport;

  beforeAll(async () => {
    await initBackend('wasm');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-diversity-'));
    tables = await loadDatasetTables('ml-100k', { dataDir, from: SHARED });
    report = await runDiversityExperiment({
      tables,
      dataset: 'ml-100k',
      models: ['itemknn'],
      levels: [0, 0.5, 1],
      methods: ['popularity', 'mmr-genres'],
    });
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('at diversity 0 gives the figures of the plain evaluation', async () => {
    const plain = await runExperiment({ tables, models: ['itemknn'], k: 10 });
    const row = report.rows.find((r) => r.method === 'popularity' && r.diversity === 0)!;
    const m = plain.models.itemknn!;
    expect(row.ndcg).toBeCloseTo(m['ndcg@10'] as number, 10);
    expect(row.recall).toBeCloseTo(m['recall@10'] as number, 10);
    expect(row.coverage).toBeCloseTo(m['coverage@10'] as number, 10);
    expect(row.meanPopularity).toBeCloseTo(m['meanPopularity@10'] as number, 8);
    expect(report.usersEvaluated).toBe(plain.split.users_evaluated);
    expect(report.candidates).toBe(DIVERSITY_CANDIDATES);
  });

  it('reports one row per method and level; the penalty lowers popularity and raises coverage and long tail', () => {
    expect(report.rows).toHaveLength(6);
    const pop = report.rows.filter((r) => r.method === 'popularity');
    for (let i = 1; i < pop.length; i++) {
      const [a, b] = [pop[i - 1]!, pop[i]!];
      expect(b.meanPopularity).toBeLessThan(a.meanPopularity);
      expect(b.meanPopularityRank).toBeGreaterThan(a.meanPopularityRank);
      expect(b.longTailShare).toBeGreaterThan(a.longTailShare);
      expect(b.coverage).toBeGreaterThan(a.coverage);
    }
    for (const r of report.rows) {
      expect(r.longTailShare).toBeGreaterThanOrEqual(0);
      expect(r.longTailShare).toBeLessThanOrEqual(1);
      expect(r.meanPopularityRank).toBeGreaterThanOrEqual(1);
    }
    expect(report.headItems).toBeGreaterThan(0);
    expect(report.headItems).toBeLessThan(report.items);
  });

  it('refuses a level outside 0..1', async () => {
    await expect(runDiversityExperiment({ tables, models: ['popularity'], levels: [2] })).rejects.toThrow(
      /0..1, got 2/,
    );
  });
});
