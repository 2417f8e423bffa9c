import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetTables } from '../../src/data/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { prepareColdStart, runColdStartExperiment, type ColdStartReport } from '../../src/eval/cold-start.js';
import { evaluateRecommender, prepareEvaluation, rowsOf } from '../../src/eval/evaluator.js';
import { ndcgAtK } from '../../src/eval/metrics.js';
import { splitForProtocol } from '../../src/eval/protocol.js';
import { getModelFactory } from '../../src/models/registry.js';
import { initBackend } from '../../src/tf/backend.js';

const SHARED = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/** ml-100k under the seed protocol: the picks, and EASE (closed form, fast) against popularity. */
describe('cold start from a few picks on ml-100k', () => {
  let dataDir: string;
  let tables: DatasetTables;
  let report: ColdStartReport;

  beforeAll(async () => {
    await initBackend('wasm');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cold-'));
    tables = await loadDatasetTables('ml-100k', { dataDir, from: SHARED });
    report = await runColdStartExperiment({ tables, dataset: 'ml-100k', models: ['popularity', 'ease'] });
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('draws nested, seeded picks from the train positives of users with enough of them', () => {
    const { split } = splitForProtocol(tables, 'auto');
    const prepared = prepareEvaluation(split.train, split.test);
    const a = prepareColdStart(prepared, [3, 5], 42);
    const b = prepareColdStart(prepared, [3, 5], 42);
    const c = prepareColdStart(prepared, [3, 5], 7);
    expect(a.users.length).toBe(report.users);
    expect(a.users.length).toBeGreaterThan(0);
    const { indptr, indices } = prepared.train.userItems;
    a.users.forEach((u, q) => {
      const train = new Set(indices.subarray(indptr[u], indptr[u + 1]));
      const three = Array.from(a.picks.get(3)![q]!.items);
      const five = Array.from(a.picks.get(5)![q]!.items);
      expect(new Set(five).size).toBe(5);
      for (const item of five) expect(train.has(item)).toBe(true);
      for (const item of three) expect(five).toContain(item);
      expect(three).toEqual([...three].sort((x, y) => x - y));
    });
    expect(b.picks.get(5)!.map((h) => Array.from(h.items))).toEqual(
      a.picks.get(5)!.map((h) => Array.from(h.items)),
    );
    expect(c.picks.get(5)!.map((h) => Array.from(h.items))).not.toEqual(
      a.picks.get(5)!.map((h) => Array.from(h.items)),
    );
  });

  it('full-history figures equal the plain evaluator on the same users', async () => {
    const { split } = splitForProtocol(tables, 'auto');
    const prepared = prepareEvaluation(split.train, split.test);
    const cold = prepareColdStart(prepared, [3, 5], 42);
    // Users with fewer than 5 train positives are left out (ml-100k: a few of them).
    expect(report.users).toBeLessThan(report.usersWithTestPositive);
    expect(report.users).toBeGreaterThan(0.9 * report.usersWithTestPositive);
    const ease = getModelFactory('ease').create();
    try {
      await ease.fit(prepared.train);
      const plain = await evaluateRecommender(ease, { ...prepared, users: cold.users }, { k: 10 });
      expect(report.models.ease!.full.ndcg).toBeCloseTo(plain.metrics.ndcg, 10);
      expect(report.models.ease!.full.recall).toBeCloseTo(plain.metrics.recall, 10);
      // The protocol figure (read from one deep ranking) equals ranking with the train items excluded.
      const top = await ease.recommendForHistories(cold.picks.get(5)!, 10, {
        exclude: rowsOf(prepared.seen, cold.users),
      });
      let ndcg = 0;
      cold.users.forEach((u, q) => {
        const relevant = new Set(
          prepared.relevant.indices.subarray(prepared.relevant.indptr[u], prepared.relevant.indptr[u + 1]),
        );
        ndcg += ndcgAtK(top.ids.subarray(q * 10, q * 10 + 10), relevant, 10);
      });
      expect(report.models.ease!.protocol['5']!.ndcg).toBeCloseTo(ndcg / cold.users.length, 10);
    } finally {
      ease.dispose();
    }
  });

  it('EASE from 5 picks beats popularity, gains over 3 picks, and stays below its full history', () => {
    const ease = report.models.ease!;
    const pop = report.models.popularity!;
    expect(ease.protocol['5']!.ndcg).toBeGreaterThan(pop.protocol['5']!.ndcg);
    expect(ease.protocol['5']!.ndcg).toBeGreaterThan(ease.protocol['3']!.ndcg);
    expect(ease.full.ndcg).toBeGreaterThan(ease.protocol['5']!.ndcg);
    // Popularity ignores the picks: with train items excluded its lists equal the full-history ones.
    expect(pop.protocol['3']!.ndcg).toBeCloseTo(pop.full.ndcg, 12);
    // Leaving out only the picks spends slots on movies the user had rated: never better.
    expect(ease.served['5']!.ndcg).toBeLessThanOrEqual(ease.protocol['5']!.ndcg);
  });
});
