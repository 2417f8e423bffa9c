/**
 * `recsys train --backend tensorflow-gpu` where no GPU backend loads (this machine: @tensorflow/tfjs-node-gpu
 * cannot install offline): a clear BACKEND error that says why and writes nothing, and `--allow-fallback`
 * training on the next backend that loads instead. Real processes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/core/errors.js';
import { installedBackends } from '../../src/tf/backend.js';
import { ML100K_DIR, runCli } from './support.js';

let tmp: string;
let env: Record<string, string>;
const gpuLoads = (await installedBackends()).includes('tensorflow-gpu');

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-backend-'));
  env = {
    RECSYS_DATA_DIR: path.join(tmp, 'data'),
    RECSYS_ARTIFACTS: path.join(tmp, 'artifacts'),
    MOVIELENS_DIR: ML100K_DIR,
    RECSYS_DATASET: 'ml-100k',
  };
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

it.skipIf(gpuLoads)('refuses to train when the GPU backend asked for does not load, saying why', async () => {
  const result = await runCli(['train', '--model', 'popularity', '--backend', 'tensorflow-gpu'], env);
  expect(result.code).toBe(EXIT_CODES.BACKEND);
  expect(result.stderr).toMatch(/error \[BACKEND\]: the tensorflow-gpu backend could not be loaded: /);
  expect(result.stderr).toMatch(
    /@tensorflow\/tfjs-node-gpu is (not installed|installed without its native binding)/,
  );
  expect(result.stderr).toMatch(/--allow-fallback/);
  // Nothing trained, nothing saved.
  await expect(fs.readdir(path.join(tmp, 'artifacts'))).rejects.toThrow(/ENOENT/);
});

it.skipIf(gpuLoads)(
  'trains on the next backend that loads with --allow-fallback, and logs the fallback',
  async () => {
    const result = await runCli(
      ['train', '--model', 'popularity', '--backend', 'tensorflow-gpu', '--allow-fallback'],
      { ...env, LOG_LEVEL: 'info' },
    );
    expect(result.code).toBe(0);
    expect(result.stderr + result.stdout).toMatch(
      /tf backend asked for did not load; fell back backend=tensorflow-gpu/,
    );
    expect(result.stderr + result.stdout).toMatch(/tf backend chosen backend=(tensorflow|wasm|cpu)/);
    const versions = await fs.readdir(path.join(tmp, 'artifacts', 'popularity'));
    expect(versions).toContain('current');
    const manifest = JSON.parse(
      await fs.readFile(
        path.join(
          tmp,
          'artifacts',
          'popularity',
          versions.find((v) => v !== 'current')!,
          'manifest.json',
        ),
        'utf8',
      ),
    );
    expect(['tensorflow', 'wasm', 'cpu']).toContain(manifest.backend);
  },
);
