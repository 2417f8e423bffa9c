/**
 * Every kind's artifact is a stock TF.js model: a separate process that imports only @tensorflow/tfjs
 * (test/artifacts/stock-tfjs-client.mjs, none of our code) loads it with tf.loadLayersModel over HTTP from a
 * static server, as a browser would, and its top-10 for a few users equals `recsys recommend`'s.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDatasetTables } from '../../src/data/load.js';
import { getModelFactory, REGISTERED_KINDS } from '../../src/models/registry.js';
import { createLocalStore } from '../../src/storage/local.js';
import { initBackend } from '../../src/tf/backend.js';
import { trainToArtifact } from '../../src/training/pipeline.js';
import { ML100K_DIR, runCli } from '../cli/support.js';

/** Small settings so each fit takes a moment; a kind missing here trains with its defaults. */
const QUICK: Record<string, Record<string, number | string>> = {
  als: { factors: 16, iterations: 3 },
  itemknn: { neighbours: 50 },
  neural: { epochs: 3 },
};
const USERS = [1, 2, 100, 500, 943];

let tmp: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-stock-'));
  await initBackend();
  const tables = await loadDatasetTables('ml-100k', { dataDir: path.join(tmp, 'data'), from: ML100K_DIR });
  const store = createLocalStore(path.join(tmp, 'artifacts'));
  for (const kind of REGISTERED_KINDS) {
    const factory = getModelFactory(kind);
    await trainToArtifact({
      store,
      tables,
      dataset: 'ml-100k',
      kind,
      hyperparameters: factory.parseHyperparameters(QUICK[kind] ?? {}),
    });
  }
  // A plain static file server over the artifacts folder.
  server = http.createServer((req, res) => {
    const file = path.join(tmp, 'artifacts', decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    fs.readFile(file).then(
      (bytes) => res.writeHead(200).end(bytes),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});

interface StockAnswer {
  input: string;
  users: Record<string, { top: number[]; scores: Record<string, number> }>;
}

function stockClient(kind: string): Promise<StockAnswer> {
  const script = path.resolve('test', 'artifacts', 'stock-tfjs-client.mjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, base, kind, ...USERS.map(String)],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

for (const kind of REGISTERED_KINDS) {
  it(`${kind}: stock tf.loadLayersModel over HTTP ranks the same top-10 as recsys recommend`, async () => {
    const out = path.join(tmp, `${kind}.jsonl`);
    const [stock, cli] = await Promise.all([
      stockClient(kind),
      runCli(['recommend', '--all', '--k', '10', '--model', kind, '--out', out], {
        RECSYS_ARTIFACTS: path.join(tmp, 'artifacts'),
        RECSYS_DATA_DIR: path.join(tmp, 'data'),
      }),
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const lines = (await fs.readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byUser = new Map(lines.map((l: { user: number; items: number[] }) => [l.user, l.items]));
    for (const user of USERS) {
      const expected = byUser.get(user)!;
      const { top, scores } = stock.users[user]!;
      expect(top).toHaveLength(10);
      for (let j = 0; j < 10; j++) {
        if (top[j] === expected[j]) continue;
        // Only a near-tie may come out in another order: float sums differ between the two graphs.
        const gap = Math.abs((scores[top[j]!] ?? -Infinity) - (scores[expected[j]!] ?? Infinity));
        expect(gap, `${kind} user ${user} place ${j}: ${top[j]} vs ${expected[j]}`).toBeLessThan(1e-4);
      }
    }
  });
}
