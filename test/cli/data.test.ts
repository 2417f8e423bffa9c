import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/core/errors.js';
import { DATASET_NAMES } from '../../src/core/types.js';

/** `recsys data ...` run as a child process (bin/recsys.js), on ml-100k from ../shared with a temp data dir. */

const SHARED = path.resolve(process.cwd(), '..', 'shared', 'movielens');
let root: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function recsys(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/recsys.js', ...args],
      { env: { ...process.env, LOG_LEVEL: 'info', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cli-data-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('recsys data', () => {
  it('etl converts ml-100k from --from into RECSYS_DATA_DIR, and a second run is a no-op', async () => {
    const dataDir = path.join(root, 'etl');
    const first = await recsys(['data', 'etl', 'ml-100k', '--from', SHARED], { RECSYS_DATA_DIR: dataDir });
    expect(first.stderr).not.toMatch(/^error/m);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`ml-100k: converted in ${path.resolve(dataDir, 'parquet', 'ml-100k')}`);
    expect(first.stdout).toMatch(/ratings\.parquet\s+100000 rows \(user_id, movie_id, rating, timestamp\)/);
    const files = await fs.readdir(path.join(dataDir, 'parquet', 'ml-100k'));
    expect(files.sort()).toEqual(['etl.json', 'movies.parquet', 'ratings.parquet', 'users.parquet']);
    const second = await recsys(['data', 'etl', 'ml-100k', '--from', SHARED], { RECSYS_DATA_DIR: dataDir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('ml-100k: already up to date');
  });

  it('stats --json prints one JSON object (the table form is tested in test/data/stats.test.ts); MOVIELENS_DIR is the default --from', async () => {
    const run = await recsys(['data', 'stats', 'ml-100k', '--json', '--data-dir', path.join(root, 'stats')], {
      MOVIELENS_DIR: SHARED,
    });
    expect(run.code).toBe(0);
    const stats = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(stats).toMatchObject({
      dataset: 'ml-100k',
      ratings: 100_000,
      users: 943,
      items: 1682,
      movies: 1682,
    });
  });

  it('a malformed line fails with its file:line and the data-format exit code; --skip-bad-lines reports it', async () => {
    const src = path.join(root, 'bad');
    await fs.mkdir(src);
    for (const f of ['u.item', 'u.user', 'u.genre'])
      await fs.copyFile(path.join(SHARED, 'ml-100k', f), path.join(src, f));
    await fs.writeFile(path.join(src, 'u.data'), '1\t1\t5\t874965758\n1\t2\t5\n');
    const dataDir = path.join(root, 'bad-data');
    const failed = await recsys(['data', 'etl', 'ml-100k', '--from', src, '--data-dir', dataDir]);
    expect(failed.code).toBe(EXIT_CODES.DATA_FORMAT);
    expect(failed.stderr).toContain(
      `error [DATA_FORMAT]: ${path.join(src, 'u.data')}:2: field count: expected 4 fields, found 3`,
    );
    await expect(fs.stat(path.join(dataDir, 'parquet', 'ml-100k'))).rejects.toThrow(/ENOENT/);
    const skipped = await recsys([
      'data',
      'etl',
      'ml-100k',
      '--from',
      src,
      '--data-dir',
      dataDir,
      '--skip-bad-lines',
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('skipped 1 bad lines:');
    expect(skipped.stdout).toContain('field count: 1');
  });

  it('an empty u.data (a cut download) fails with the data-format exit code naming the file, not 0 ratings', async () => {
    const src = path.join(root, 'empty');
    await fs.mkdir(src);
    for (const f of ['u.item', 'u.user', 'u.genre'])
      await fs.copyFile(path.join(SHARED, 'ml-100k', f), path.join(src, f));
    await fs.writeFile(path.join(src, 'u.data'), '');
    const dataDir = path.join(root, 'empty-data');
    for (const extra of [[], ['--skip-bad-lines']]) {
      const run = await recsys(['data', 'etl', 'ml-100k', '--from', src, '--data-dir', dataDir, ...extra]);
      expect(run.code).toBe(EXIT_CODES.DATA_FORMAT);
      expect(run.stderr).toContain(
        `error [DATA_FORMAT]: ${path.join(src, 'u.data')}:1: no ratings: the file is empty`,
      );
    }
    await expect(fs.stat(path.join(dataDir, 'parquet', 'ml-100k'))).rejects.toThrow(/ENOENT/);
  });

  it('list shows every catalog release; an unknown name is a validation error', async () => {
    const list = await recsys(['data', 'list']);
    expect(list.code).toBe(0);
    for (const name of DATASET_NAMES) expect(list.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    const unknown = await recsys(['data', 'stats', 'ml-2m']);
    expect(unknown.code).toBe(EXIT_CODES.VALIDATION);
    expect(unknown.stderr).toContain("error [VALIDATION]: name: 'ml-2m' is not one of");
  });

  it('download verifies the catalog checksum: bytes that are not the GroupLens archive are refused', async () => {
    const server = http.createServer((_req, res) =>
      res.writeHead(200).end(Buffer.from('not the real archive')),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const dataDir = path.join(root, 'download');
      const run = await recsys(['data', 'download', 'ml-100k', '--data-dir', dataDir, '--base-url', baseUrl]);
      expect(run.code).toBe(EXIT_CODES.CHECKSUM);
      expect(run.stderr).toContain('error [CHECKSUM]: checksum mismatch');
      expect(run.stderr).toContain('0e33842e24a9c977be4e0107933c0723');
      await expect(fs.stat(path.join(dataDir, 'raw', 'ml-100k'))).rejects.toThrow(/ENOENT/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
