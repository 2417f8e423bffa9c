import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recsys, SHARED_MOVIELENS } from './cli-support.js';

const SHARED = SHARED_MOVIELENS;

describe('recsys evaluate --task cold-start | diversity (real processes, ml-100k, popularity)', () => {
  let dataDir: string;
  let base: string[];
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cli-bias-'));
    base = [
      'evaluate',
      '--dataset',
      'ml-100k',
      '--from',
      SHARED,
      '--data-dir',
      dataDir,
      '--models',
      'popularity',
    ];
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints the cold-start table with both pick counts and the full history', async () => {
    const { code, stdout, stderr } = await recsys([...base, '--task', 'cold-start']);
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/cold start from 3 or 5 picks/);
    expect(stdout).toMatch(/3 picks ndcg@10 .* 5 picks ndcg@10 .* full ndcg@10/);
    expect(stdout).toMatch(/^popularity\s+0\.\d{4}/m);
  });

  it('prints one diversity row per method and level, as JSON with --json', async () => {
    const { code, stdout } = await recsys([
      ...base,
      '--task',
      'diversity',
      '--diversity',
      '0,1',
      '--diversity-methods',
      'popularity',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { rows: { method: string; diversity: number; coverage: number }[] };
    expect(report.rows.map((r) => [r.method, r.diversity])).toEqual([
      ['popularity', 0],
      ['popularity', 1],
    ]);
    expect(report.rows[1]!.coverage).toBeGreaterThan(report.rows[0]!.coverage);
  });

  it('refuses a level outside 0..1 and an unknown method, naming the flag', async () => {
    const bad = await recsys([...base, '--task', 'diversity', '--diversity', '0,2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--diversity.*'2' is not a number in 0..1/);
    const unknown = await recsys([...base, '--task', 'diversity', '--diversity-methods', 'magic']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/--diversity-methods.*unknown method 'magic'/);
  });
});
