/**
 * `recsys train`, `recommend` and `similar` end to end as child processes on ml-100k, with the data and
 * artifact folders in temp dirs: real ETL, real training, a real artifact on disk.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/core/errors.js';
import { ML100K_DIR, readRated, readTitles, runCli, type CliResult } from './support.js';

let tmp: string;
let env: Record<string, string>;
let trained: CliResult;
const titles = readTitles();
const rated = readRated();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cli-'));
  env = {
    RECSYS_DATA_DIR: path.join(tmp, 'data'),
    RECSYS_ARTIFACTS: path.join(tmp, 'artifacts'),
    RECSYS_MODEL: 'popularity',
  };
  trained = await runCli(
    ['train', '--model', 'popularity', '--dataset', 'ml-100k', '--from', ML100K_DIR],
    env,
  );
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The ranked rows of a `recommend --user` / `similar` table: [rank, movie id, title]. */
function tableRows(stdout: string): { rank: number; id: number; line: string }[] {
  return stdout
    .split('\n')
    .filter((line) => /^\s+\d+\s+\d+\s/.test(line))
    .map((line) => {
      const [rank, id] = line.trim().split(/\s+/).map(Number) as [number, number];
      return { rank, id, line };
    });
}

describe('recsys train', () => {
  it('saves an artifact, makes it current and prints where', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    const location = /artifact: (.+)/.exec(trained.stdout)?.[1];
    expect(location).toBeDefined();
    const version = path.basename(location!);
    expect(location).toBe(path.join(tmp, 'artifacts', 'popularity', version));
    expect((await fs.readdir(location!)).sort()).toEqual([
      'group1-shard1of1.bin',
      'manifest.json',
      'model.json',
      'movies.json',
      'state-shard1of1.bin',
      'state.json',
    ]);
    expect(await fs.readFile(path.join(tmp, 'artifacts', 'popularity', 'current'), 'utf8')).toBe(
      `${version}\n`,
    );
    expect(trained.stdout).toContain('943 users, 1682 movies, 55375 positives');
  });

  it('refuses a hyperparameter the model does not take, before reading any data', async () => {
    const result = await runCli(
      ['train', '--model', 'popularity', '--dataset', 'ml-100k', '--from', ML100K_DIR, '--neighbours', '5'],
      {
        ...env,
        RECSYS_DATA_DIR: path.join(tmp, 'never'),
      },
    );
    expect(result.code).toBe(EXIT_CODES.VALIDATION);
    expect(result.stderr).toContain("popularity: unknown hyperparameter 'neighbours'");
    await expect(fs.access(path.join(tmp, 'never'))).rejects.toThrow();
  });
});

describe('recsys recommend and similar', () => {
  it('recommend --user 1 prints 10 titled movies user 1 never rated', async () => {
    const result = await runCli(['recommend', '--user', '1', '--k', '10'], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = tableRows(result.stdout);
    expect(rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const row of rows) {
      expect(rated.get(1)!.has(row.id)).toBe(false);
      expect(row.line).toContain(titles.get(row.id)!);
    }
  });

  it('recommend --all --out writes one JSON line per user: k raw ids, none rated, via a temp file', async () => {
    const out = path.join(tmp, 'out', 'recs.jsonl');
    const result = await runCli(['recommend', '--all', '--k', '10', '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = (await fs.readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(943);
    const users = new Set<number>();
    for (const line of lines) {
      const record = JSON.parse(line) as { user: number; items: number[] };
      expect(Object.keys(record)).toEqual(['user', 'items']);
      users.add(record.user);
      expect(record.items).toHaveLength(10);
      expect(new Set(record.items).size).toBe(10);
      for (const item of record.items) {
        expect(titles.has(item)).toBe(true);
        expect(rated.get(record.user)!.has(item)).toBe(false);
      }
    }
    expect([...users].sort((a, b) => a - b)).toEqual(Array.from({ length: 943 }, (_, i) => i + 1));
    expect(await fs.readdir(path.dirname(out))).toEqual(['recs.jsonl']);
  });

  it('similar --movie 50 prints 10 other titled movies', async () => {
    const result = await runCli(['similar', '--movie', '50', '--k', '10'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('similar to 50 Star Wars (1977)');
    const rows = tableRows(result.stdout);
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.id).not.toBe(50);
      expect(row.line).toContain(titles.get(row.id)!);
    }
  });

  it('an unknown user or movie is NOT_FOUND with its exit code; a model never trained says which ones are', async () => {
    const [user, movie, model] = await Promise.all([
      runCli(['recommend', '--user', '5000'], env),
      runCli(['similar', '--movie', '99999'], env),
      runCli(['recommend', '--user', '1', '--model', 'itemknn'], env),
    ]);
    expect(user.code).toBe(EXIT_CODES.NOT_FOUND);
    expect(user.stderr).toContain('user 5000 not found');
    expect(movie.code).toBe(EXIT_CODES.NOT_FOUND);
    expect(movie.stderr).toContain('movie 99999 not found');
    expect(model.code).toBe(EXIT_CODES.NOT_FOUND);
    expect(model.stderr).toContain('models with one: popularity');
  });
});

describe('recsys train --model als (few iterations) and its recommendations', () => {
  it('shows the loss per iteration once, and the artifact recommends unrated titled movies in JSON Lines', async () => {
    const als = await runCli(
      [
        'train',
        '--model',
        'als',
        '--dataset',
        'ml-100k',
        '--from',
        ML100K_DIR,
        '--factors',
        '8',
        '--iterations',
        '2',
        '--workers',
        '1',
      ],
      env,
    );
    expect(als.code, als.stderr).toBe(0);
    expect(als.stderr).toMatch(/train als .*2\/2 .*loss \d/);
    expect(als.stderr).not.toContain('als iteration'); // the model's own iteration events are not shown twice
    const out = path.join(tmp, 'als.jsonl');
    const [one, all, similar] = await Promise.all([
      runCli(['recommend', '--user', '1', '--model', 'als', '--json'], env),
      runCli(['recommend', '--all', '--model', 'als', '--k', '5', '--out', out], env),
      runCli(['similar', '--movie', '50', '--model', 'als', '--k', '5'], env),
    ]);
    expect(one.code, one.stderr).toBe(0);
    const json = JSON.parse(one.stdout) as {
      user: number;
      model: string;
      items: { id: number; title: string }[];
    };
    expect(json.model).toBe('als');
    expect(json.items).toHaveLength(10);
    for (const item of json.items) {
      expect(rated.get(1)!.has(item.id)).toBe(false);
      expect(item.title).toBe(titles.get(item.id));
    }
    expect(all.code, all.stderr).toBe(0);
    const lines = (await fs.readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { user: number; items: number[] });
    expect(lines).toHaveLength(943);
    for (const { user, items } of lines) {
      expect(items).toHaveLength(5);
      expect(items.some((i) => rated.get(user)!.has(i))).toBe(false);
    }
    expect(similar.code, similar.stderr).toBe(0);
    expect(tableRows(similar.stdout).map((r) => r.id)).not.toContain(50);
    expect(tableRows(similar.stdout)).toHaveLength(5);
  });
});
