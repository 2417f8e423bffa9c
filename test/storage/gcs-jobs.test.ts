import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, MOVIELENS_DIR, tempDir, type Json } from '../api/support.js';
import { readRated } from '../cli/support.js';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs.js';
import { cleanEnv, runRecsys } from '../support/recsys-process.js';

/**
 * The command lines the images and Kubernetes Jobs run (infra/k8s), as real processes against the local
 * PostgreSQL and the in-process fake of GCS (STORAGE_EMULATOR_HOST): `db migrate`, `db seed`, `train --source db
 * --artifacts gs://...`, `artifacts gate`, `serve` loading from GCS; then ratings posted through the API, the
 * retraining CronJob's lines (train from the database, gate), and the running server picking up the promoted
 * version from GCS by polling the pointer.
 */

const BUCKET = 'recsys-e2e';
const TOKEN = 'gcs-jobs-test-token';
const USER = 1;

let gcs: FakeGcs;
let work: { dir: string; remove: () => Promise<void> };
const schema = uniqueSchemaName('gcsjobs');
let env: Record<string, string>;
const timings: string[] = [];

function recsys(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runRecsys(args, env);
}

async function ok(args: string[]): Promise<string> {
  const started = performance.now();
  const result = await recsys(args);
  timings.push(`${args.slice(0, 2).join(' ')} ${((performance.now() - started) / 1000).toFixed(1)}s`);
  if (result.code !== 0) throw new Error(`recsys ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
}

/** The manifest of a version, read straight from the fake's objects. */
function manifest(version: string): Json {
  const object = gcs.objects(BUCKET).get(`prod/als/${version}/manifest.json`);
  if (!object) throw new Error(`no manifest for ${version}`);
  return JSON.parse(object.bytes.toString('utf8'));
}

const versionIn = (stdout: string): string => {
  const match = /artifact: gs:\/\/[^\s]+\/als\/(\S+)/.exec(stdout);
  if (!match) throw new Error(`no artifact line in:\n${stdout}`);
  return match[1] as string;
};

const TRAIN = [
  'train',
  '--source',
  'db',
  '--model',
  'als',
  '--factors',
  '8',
  '--iterations',
  '3',
  '--evaluate',
];

beforeAll(async () => {
  gcs = await startFakeGcs();
  work = await tempDir('gcs-jobs');
  env = {
    DATABASE_URL: postgresUrl(schema),
    RECSYS_ARTIFACTS: `gs://${BUCKET}/prod`,
    STORAGE_EMULATOR_HOST: gcs.endpoint,
    RECSYS_DATA_DIR: path.join(work.dir, 'data'),
    MOVIELENS_DIR,
    RECSYS_DATASET: 'ml-100k',
    RECSYS_MODEL: 'als',
    RECSYS_WORKERS: '1',
    RECSYS_API_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  console.log(timings.join(', '));
  await gcs?.close();
  await work?.remove();
  await dropSchema(schema);
});

describe('deployment command lines on PostgreSQL and GCS (fake)', () => {
  it('migrate, seed, train from the database to gs://, gate, serve; posted ratings reach the next promoted model', async () => {
    await ok(['db', 'migrate']);
    await ok(['db', 'seed', 'ml-100k']);

    // First model: trained from the database, saved to GCS without promotion, promoted by the gate.
    const first = versionIn(await ok([...TRAIN, '--no-promote', '--artifacts', `gs://${BUCKET}/prod`]));
    const firstManifest = manifest(first);
    expect(firstManifest.dataset.interactions).toBe(100_000);
    expect(firstManifest.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(await ok(['artifacts', 'gate', 'als'])).toContain(`promoted: ${first} (no current version)`);
    expect(gcs.objects(BUCKET).get('prod/als/current')?.bytes.toString().trim()).toBe(first);

    const server = spawn(process.execPath, ['bin/recsys.js', 'serve', '--watch-interval-ms', '200'], {
      env: { ...cleanEnv(), ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const url = await vi.waitFor(
        () => {
          if (server.exitCode !== null) throw new Error(`serve exited early:\n${output}`);
          const match = /listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (!match) throw new Error('not listening yet');
          return match[1] as string;
        },
        { timeout: 120_000, interval: 50 },
      );
      const readyVersion = async (): Promise<string | undefined> =>
        ((await call(`${url}/ready`)).body as Json)?.model?.version;
      await vi.waitFor(async () => expect(await readyVersion()).toBe(first), {
        timeout: 90_000,
        interval: 100,
      });

      // Ratings posted through the API: 25 movies user 1 had not rated, all 5 stars.
      const rated = readRated().get(USER) ?? new Set<number>();
      const fresh = Array.from({ length: 1682 }, (_, i) => 1682 - i)
        .filter((m) => !rated.has(m))
        .slice(0, 25);
      for (const movieId of fresh) {
        const posted = await call(`${url}/users/${USER}/ratings`, {
          method: 'POST',
          token: TOKEN,
          body: { movieId, rating: 5 },
        });
        expect(posted.status).toBeLessThan(300);
      }

      // The retraining CronJob's two lines: train from the database (not promoted), then the gate.
      const second = versionIn(await ok([...TRAIN, '--no-promote']));
      const secondManifest = manifest(second);
      expect(secondManifest.dataset.interactions).toBe(100_000 + fresh.length);
      expect(secondManifest.dataset.hash).not.toBe(firstManifest.dataset.hash);
      expect(await ok(['artifacts', 'gate', 'als', '--tolerance', '1'])).toContain(`promoted: ${second}`);

      // The server polls the pointer on GCS and swaps to the new version without a restart.
      await vi.waitFor(async () => expect(await readyVersion()).toBe(second), {
        timeout: 90_000,
        interval: 100,
      });
      // The new model knows user 1 rated the posted movies (its seen matrix excludes them from recommendations).
      const recs = await call(`${url}/users/${USER}/recommendations?k=50`);
      expect(recs.status).toBe(200);
      const recommended = new Set((recs.body.movies as { id: number }[]).map((m) => m.id));
      expect(fresh.filter((m) => recommended.has(m))).toEqual([]);
    } catch (error) {
      server.kill('SIGKILL');
      throw error;
    }
    server.kill('SIGTERM');
    expect(await exit, output).toBe(0);
    // Process start-up dominates (each CLI run loads TensorFlow.js); a loaded 2-core machine needs minutes.
  }, 400_000);
});
