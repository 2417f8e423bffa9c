/**
 * bench:ease — EASE's fit on the ml-1m interactions (all 1,000,209, 3,706 items) and ml-latest-small
 * (positives = rating >= 4, 9,742 items), on the backend the chooser picks (or `--backend`). Reported:
 * - the fit (`model.fit`), wall and process CPU seconds (on a shared machine wall time also counts other
 *   people's work), and its host part G = X^T X + lambda I; the rest is P = G^-1 and B;
 * - the factorisation alone (`blockedCholesky` on the same G, up to --factor-max items): n^3 / 3 flops over its
 *   time, against the GFLOP/s
 *   of a dense 2-D tf.matMul in the same run, of the shape the factorisation runs ([n, n] x [n, 256], tall
 *   left and narrow right);
 * - the inverse: LAPACK's nominal n^3 flops (potrf + potri) over its time (fit minus G);
 * - peak RSS (VmHWM; the WASM heap is part of it) after each dataset.
 *
 * Usage: npm run bench:ease [-- --backend wasm] [--datasets ml-1m,ml-latest-small] [--block 256] [--factor-max 5000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatasetName } from '../src/core/types.js';
import { loadDatasetTables } from '../src/data/load.js';
import { trainingMatrix } from '../src/dataset/confidence.js';
import { interactionsFromRatings } from '../src/dataset/interactions.js';
import { easeFactory } from '../src/models/ease.js';
import { gramMatrix, modelledItems, resolveLambda } from '../src/models/ease-weights.js';
import { initBackend, type BackendName } from '../src/tf/backend.js';
import { blockedCholesky, DEFAULT_CHOLESKY_BLOCK } from '../src/tf/cholesky-blocked.js';
import { tf } from '../src/tf/tf.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const DATASETS = (option('--datasets') ?? 'ml-1m,ml-latest-small').split(',') as DatasetName[];
const BLOCK = Number(option('--block') ?? DEFAULT_CHOLESKY_BLOCK);
/** The factorisation is timed alone up to this many items (ml-1m), skipped above (ml-latest-small). */
const FACTOR_MAX = Number(option('--factor-max') ?? 5000);
const MOVIELENS = path.resolve(process.cwd(), '..', 'shared', 'movielens');

function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Wall and process-CPU seconds of `work` (its result read back, so asynchronous kernels are counted). */
function timed<T>(work: () => T): { value: T; wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = work();
  const d = process.cpuUsage(cpu0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (d.user + d.system) / 1e6 };
}

async function timedAsync<T>(work: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const d = process.cpuUsage(cpu0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (d.user + d.system) / 1e6 };
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const gflops = (flops: number, seconds: number) => flops / seconds / 1e9;

/** Dense matMul GFLOP/s (best of 3, of 1 above 5,000 rows; wall and CPU) for [m, k] x [k, n]. */
function matMulSpeed(m: number, k: number, n: number): { wall: number; cpu: number } {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < (m > 5000 ? 1 : 3); r++) {
    const t = timed(() => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    });
    wall = Math.min(wall, t.wall);
    cpu = Math.min(cpu, t.cpu);
  }
  tf.dispose([a, b]);
  const flops = 2 * m * k * n;
  return { wall: gflops(flops, wall), cpu: gflops(flops, cpu) };
}

const backend = await initBackend((option('--backend') as BackendName | undefined) ?? 'auto');
console.log(
  `bench:ease — ${new Date().toISOString()}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ` +
    `${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, backend ${backend.name} ` +
    `${JSON.stringify(backend.flags)}, block ${BLOCK}, load ${fmt(os.loadavg()[0] ?? 0, 1)}`,
);

for (const dataset of DATASETS) {
  const tables = await loadDatasetTables(dataset, {
    dataDir: path.resolve('.tmp', 'bench-ease-data'),
    from: MOVIELENS,
  });
  const interactions = interactionsFromRatings(tables.ratings);
  // Positives: rating >= 4 where there are ratings (the seed protocol), every pair of the ml-1m interactions.
  const train = trainingMatrix(interactions, {
    weighting: 'binary',
    ...(interactions.rating ? { threshold: 4 } : {}),
  });
  const n = train.userItems.nCols;
  const lambda = resolveLambda(0, train.userItems);
  console.log(
    `\n${dataset}: ${train.userItems.nRows} users, ${n} items, ${train.userItems.indices.length} positives, ` +
      `auto lambda ${fmt(lambda, 1)}, load ${fmt(os.loadavg()[0] ?? 0, 1)}`,
  );

  const speedTall = matMulSpeed(n, n, BLOCK);
  console.log(
    `  dense matMul: [n, n] x [n, ${BLOCK}] ${fmt(speedTall.wall)} GFLOP/s wall, ${fmt(speedTall.cpu)} CPU;`,
  );

  const gram = timed(() => gramMatrix(train.userItems, lambda));
  console.log(`  G on the host: ${fmt(gram.wall)} s wall, ${fmt(gram.cpu)} s CPU`);
  if (n <= FACTOR_MAX) {
    const g = tf.tensor2d(gram.value, [n, n]);
    const factor = timed(() => {
      const l = blockedCholesky(g, { blockSize: BLOCK });
      l.dataSync();
      l.dispose();
    });
    g.dispose();
    const cholFlops = n ** 3 / 3;
    const pct = (x: number, of: number) => fmt((100 * x) / of, 0);
    console.log(
      `  blocked Cholesky alone: ${fmt(factor.wall)} s wall (${fmt(gflops(cholFlops, factor.wall))} GFLOP/s, ` +
        `${pct(gflops(cholFlops, factor.wall), speedTall.wall)}% of matMul), ${fmt(factor.cpu)} s CPU ` +
        `(${fmt(gflops(cholFlops, factor.cpu))} GFLOP/s, ${pct(gflops(cholFlops, factor.cpu), speedTall.cpu)}% of matMul)`,
    );
  }

  const model = easeFactory.create({ maxItems: Math.max(n, 10_000) });
  const fit = await timedAsync(() => model.fit(train));
  const users = Int32Array.from({ length: train.userItems.nRows }, (_, u) => u);
  const rec = await timedAsync(() => model.recommend(users, 10));
  model.dispose();
  // The fit models the items with a training positive only (m of n).
  const m = modelledItems(train.userItems).kept.length;
  const inverseWall = fit.wall - gram.wall;
  const inverseCpu = fit.cpu - gram.cpu;
  console.log(
    `  **fit (model.fit): ${fmt(fit.wall)} s wall, ${fmt(fit.cpu)} s CPU**; of which inverse + B ~` +
      `${fmt(inverseWall)} s wall, ${fmt(inverseCpu)} s CPU (${m} items modelled, nominal m^3: ${fmt(gflops(m ** 3, inverseCpu))} ` +
      `GFLOP/s CPU); recommend top-10 for all users ${fmt(rec.wall)} s wall; peak RSS ${fmt(peakRssMiB(), 0)} ` +
      `MiB; tensors left ${tf.memory().numTensors}`,
  );
}
