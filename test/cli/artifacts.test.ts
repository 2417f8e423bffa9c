/**
 * `recsys artifacts list|promote|verify` and `train --no-promote` end to end as child processes: two saved
 * versions, the pointer moved by hand, a damaged shard found by verify and refused by promote and recommend.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/core/errors.js';
import { ML100K_DIR, runCli } from './support.js';

let tmp: string;
let env: Record<string, string>;
let root: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-cli-artifacts-'));
  root = path.join(tmp, 'artifacts');
  env = { RECSYS_DATA_DIR: path.join(tmp, 'data'), RECSYS_ARTIFACTS: root, RECSYS_MODEL: 'itemknn' };
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const versionOf = (stdout: string): string => path.basename(/artifact: (.+)/.exec(stdout)?.[1] ?? '');

it('lists versions, promotes by hand, verifies files, and refuses a damaged version', async () => {
  const train = (extra: string[]) =>
    runCli(
      [
        'train',
        '--model',
        'itemknn',
        '--dataset',
        'ml-100k',
        '--from',
        ML100K_DIR,
        '--neighbours',
        '20',
        ...extra,
      ],
      env,
    );
  const first = await train([]);
  expect(first.code, first.stderr).toBe(0);
  const second = await train(['--no-promote']);
  expect(second.code, second.stderr).toBe(0);
  const [v1, v2] = [versionOf(first.stdout), versionOf(second.stdout)];
  expect(v2 > v1).toBe(true); // version names sort by creation time
  expect(second.stdout).toContain(`not promoted: recsys artifacts promote itemknn ${v2}`);
  const pointer = path.join(root, 'itemknn', 'current');
  expect(await fs.readFile(pointer, 'utf8')).toBe(`${v1}\n`);

  const listed = await runCli(['artifacts', 'list', '--json'], env);
  expect(listed.code, listed.stderr).toBe(0);
  const rows = JSON.parse(listed.stdout) as { kind: string; version: string; current: boolean }[];
  expect(rows.map((r) => [r.kind, r.version, r.current])).toEqual([
    ['itemknn', v1, true],
    ['itemknn', v2, false],
  ]);

  const promoted = await runCli(['artifacts', 'promote', 'itemknn', v2], env);
  expect(promoted.code, promoted.stderr).toBe(0);
  expect(promoted.stdout).toContain(`itemknn: current -> ${v2} (was ${v1})`);
  expect(await fs.readFile(pointer, 'utf8')).toBe(`${v2}\n`);

  // Damage the first version's state shard: verify names the file, promote refuses it, current stays on v2.
  const shard = path.join(root, 'itemknn', v1, 'state-shard1of1.bin');
  const bytes = await fs.readFile(shard);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x40;
  await fs.writeFile(shard, bytes);
  const [verified, refused, recommendOld, missing] = await Promise.all([
    runCli(['artifacts', 'verify', 'itemknn', v1], env),
    runCli(['artifacts', 'promote', 'itemknn', v1], env),
    runCli(['recommend', '--user', '1', '--version', v1], env),
    runCli(['artifacts', 'promote', 'itemknn', '20200101T000000000Z-00000000'], env),
  ]);
  expect(verified.code).toBe(EXIT_CODES.ARTIFACT_INTEGRITY);
  expect(verified.stderr).toContain(`${shard} is not intact: sha256`);
  expect(refused.code).toBe(EXIT_CODES.ARTIFACT_INTEGRITY);
  expect(recommendOld.code).toBe(EXIT_CODES.ARTIFACT_INTEGRITY);
  expect(missing.code).toBe(EXIT_CODES.NOT_FOUND);
  expect(await fs.readFile(pointer, 'utf8')).toBe(`${v2}\n`);
  const current = await runCli(['artifacts', 'verify', 'itemknn'], env);
  expect(current.code, current.stderr).toBe(0);
  // Every file the manifest lists: the Layers model and its shards, the state and its shards, the titles.
  const files = Object.keys(
    JSON.parse(await fs.readFile(path.join(root, 'itemknn', v2, 'manifest.json'), 'utf8')).files,
  );
  expect(files).toEqual(expect.arrayContaining(['model.json', 'state.json', 'movies.json']));
  expect(current.stdout).toContain(`itemknn/${v2}: ${files.length} files intact`);
});
