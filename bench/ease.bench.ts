/**
 * bench:ease — EASE's fit on the ml-1m interactions (all 1,000,209, 3,706 items) and ml-latest-small
 * (positives = rating >= 4, 9,742 items), on the backend the chooser picks (or `--backend`). Reported:
 * - the fit (`model.fit`), wall and process CPU seconds (on a shared machine wall time also counts other
 *   people's work), and its host part G = X^T X + lambda I; the rest is P = G^-1 and B;
 * - the factorisation on the same G (up to --factor-max items), best of --runs after one untimed run: the
 *   Cholesky factor alone (`blockedCholesky`, nominal n^3 / 3 flops) and the inverse the fit uses
 *   (`choleskyInverse`, nominal n^3 flops, LAPACK potrf + potri), each against the GFLOP/s of the fastest
 *   plain dense 2-D tf.matMul in the same run ([n, n] x [n, 256], tall left and narrow right; the square
 *   [n, n] x [n, n] is shown beside it); wall and process CPU;
 * - peak RSS (VmHWM; the WASM heap is part of it) after each dataset.
 *
 * Usage: npm run bench:ease [-- --backend wasm] [--datasets ml-1m,ml-latest-small] [--block 128] [--factor-max 5000]
 *   [--runs 2]
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
import { blockedCholesky, choleskyInverse, DEFAULT_CHOLESKY_BLOCK } from '../src/tf/cholesky-blocked.js';
import { tf } from '../src/tf/tf.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const DATASETS = (option('--datasets') ?? 'ml-1m,ml-latest-small').split(',') as DatasetName[];
const BLOCK = Number(option('--block') ?? DEFAULT_CHOLESKY_BLOCK);
/** The factorisation is timed alone up to this many items (ml-1m), skipped above (ml-latest-small). */
const FACTOR_MAX = Number(option('--factor-max') ?? 5000);
/** Timed runs of each factorisation; the best is reported. */
const FACTOR_RUNS = Number(option('--runs') ?? 2);
/** Columns of the reference matMul's right operand. */
const REF_WIDTH = 256;
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

/** Dense matMul GFLOP/s (best of 3, of 1 above 2e10 flops; wall and CPU) for [m, k] x [k, n]. */
function matMulSpeed(m: number, k: number, n: number): { wall: number; cpu: number } {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < (2 * m * k * n > 2e10 ? 1 : 3); r++) {
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

  // The reference: the fastest plain dense matMul shape at this n, [n, n] x [n, 256] (a tall left operand and
  // a narrow right one), best of 3; [n, n] x [n, n] in one call runs slower on WASM and is shown beside it.
  const speedTall = matMulSpeed(n, n, REF_WIDTH);
  const speedSquare = n <= FACTOR_MAX ? matMulSpeed(n, n, n) : null;
  console.log(
    `  dense matMul: [n, n] x [n, ${REF_WIDTH}] ${fmt(speedTall.wall)} GFLOP/s wall, ${fmt(speedTall.cpu)} CPU` +
      (speedSquare ? `; [n, n] x [n, n] ${fmt(speedSquare.wall)} wall, ${fmt(speedSquare.cpu)} CPU` : ''),
  );

  const gram = timed(() => gramMatrix(train.userItems, lambda));
  console.log(`  G on the host: ${fmt(gram.wall)} s wall, ${fmt(gram.cpu)} s CPU`);
  if (n <= FACTOR_MAX) {
    const g = tf.tensor2d(gram.value, [n, n]);
    const pct = (x: number, of: number) => fmt((100 * x) / of, 0);
    // Best of FACTOR_RUNS after one untimed inverse (it grows the WASM heap to its peak once).
    tf.dispose(choleskyInverse(g, { blockSize: BLOCK }));
    const best = (work: () => tf.Tensor) => {
      let wall = Infinity;
      let cpu = Infinity;
      for (let r = 0; r < FACTOR_RUNS; r++) {
        const t = timed(() => {
          const out = work();
          out.dataSync();
          out.dispose();
        });
        wall = Math.min(wall, t.wall);
        cpu = Math.min(cpu, t.cpu);
      }
      return { wall, cpu };
    };
    const report = (label: string, flops: number, t: { wall: number; cpu: number }) =>
      console.log(
        `  ${label}: ${fmt(t.wall)} s wall (${fmt(gflops(flops, t.wall))} GFLOP/s, ` +
          `${pct(gflops(flops, t.wall), speedTall.wall)}% of matMul), **${fmt(t.cpu)} s CPU ` +
          `(${fmt(gflops(flops, t.cpu))} GFLOP/s, ${pct(gflops(flops, t.cpu), speedTall.cpu)}% of matMul)**`,
      );
    // Nominal LAPACK counts: potrf n^3 / 3; potrf + potri (trtri n^3 / 3, lauum n^3 / 3) n^3. The recursion
    // runs about 0.41 n^3 and 1.1 n^3 (cholesky-blocked.ts), so these understate its own rate.
    report(
      'Cholesky alone (n^3 / 3 flops)',
      n ** 3 / 3,
      best(() => blockedCholesky(g, { blockSize: BLOCK })),
    );
    report(
      'inverse P = G^-1 (n^3 flops)',
      n ** 3,
      best(() => choleskyInverse(g, { blockSize: BLOCK })),
    );
    g.dispose();
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
