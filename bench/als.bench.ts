/**
 * bench:als — implicit ALS (64 factors, regularization 0.01, alpha 1, 3 CG steps) on the 1,000,209 ml-1m
 * interactions, on every TF.js backend present, with 1 and 2 worker threads. Reported per backend:
 * - seconds per iteration: the median over the measured iterations after one warm-up iteration, wall and CPU
 *   (process CPU, all threads: on a shared machine wall time also counts other people's work);
 * - ratio (a): against the plain-TypeScript reference of the same CG algorithm (bench/reference/, one thread,
 *   Float32Arrays), measured in the same run (its iterations exclude the loss, which ours includes);
 * - ratio (b): against the iteration's floating-point work divided by the dense 2-D tf.matMul GFLOP/s of the
 *   same backend, measured in the same run (what the iteration would take at matMul speed);
 * - batch recommend: top-10 for every user, seen items excluded (median of 5).
 * `--scale` adds one ALS iteration (of two; the second is the figure, the first carries warm-up) on a generated
 * ml-25m shape (25M interactions, 162,541 users, 59,047 items): peak RSS (VmHWM) and time per interaction
 * against the ml-1m run.
 *
 * Usage: npm run bench:als [-- --backends wasm,cpu] [--iterations 5] [--scale]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confidenceMatrix, referenceIteration } from './reference/als-reference.js';
import { readInteractionsParquet } from '../src/data/parquet.js';
import { buildCsr, transposeCsr } from '../src/dataset/csr.js';
import { createIdEncoder, encodeAll } from '../src/dataset/encoder.js';
import { generateSyntheticDataset } from '../src/dataset/synthetic.js';
import type { CsrMatrix } from '../src/dataset/types.js';
import { alsFactory, type AlsModel } from '../src/models/als.js';
import { initialFactors } from '../src/models/als-train.js';
import type { TrainingMatrix } from '../src/models/types.js';
import { initBackend, installedBackends, type BackendName } from '../src/tf/backend.js';
import { tf } from '../src/tf/tf.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const MEASURED = Number(option('--iterations') ?? 5);
const SCALE = args.includes('--scale');
const SETTINGS = { factors: 64, regularization: 0.01, alpha: 1, cgSteps: 3, seed: 42 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const load = () => os.loadavg()[0]!.toFixed(1);

/**
 * CPU seconds of each thread of this process by thread id (Linux /proc, 10 ms ticks). On a machine shared with
 * other work, the busiest thread's CPU time over an iteration is what its wall time would be on a quiet one.
 */
function threadCpuSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime (fields 14 and 15) in clock ticks of 1/100 s (USER_HZ on Linux).
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

function busiestThread(before: Map<string, number>, after: Map<string, number>): number {
  let most = 0;
  for (const [tid, seconds] of after) most = Math.max(most, seconds - (before.get(tid) ?? 0));
  return most;
}

/** Peak resident set of this process (all threads), from /proc (Linux). */
function peakRssBytes(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

async function ml1m(): Promise<TrainingMatrix> {
  const file = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-1m', 'interactions.parquet');
  const table = await readInteractionsParquet(file, { user: 'userID', item: 'movieID' });
  const users = createIdEncoder(table.userId);
  const items = createIdEncoder(table.movieId);
  const userItems = buildCsr(
    users.size,
    items.size,
    encodeAll(users, table.userId),
    encodeAll(items, table.movieId),
  );
  return { userItems, users, items };
}

/** Floating-point work of one iteration as the solver does it (useful work: unpadded interactions). */
function iterationFlops(m: CsrMatrix): number {
  const f = SETTINGS.factors;
  const passes = SETTINGS.cgSteps + 1;
  const nnz = m.indices.length;
  const half = (rows: number, other: number) => passes * (4 * f * nnz + 2 * f * f * rows) + 2 * f * f * other;
  return half(m.nRows, m.nCols) + half(m.nCols, m.nRows) + 2 * f * nnz;
}

function matMulGflops(): number {
  const [m, k, n] = [1024, 256, 1024];
  const a = tf.randomUniform([m, k]);
  const b = tf.randomUniform([k, n]);
  const times: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const started = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    if (rep >= 2) times.push((performance.now() - started) / 1000);
  }
  tf.dispose([a, b]);
  return (2 * m * k * n) / median(times) / 1e9;
}

interface FitRun {
  wall: number[];
  /** Process CPU (all threads). */
  cpu: number[];
  /** CPU of the busiest thread. */
  busiest: number[];
  losses: number[];
  model: AlsModel;
}

async function timedFit(train: TrainingMatrix, workers: number, iterations: number): Promise<FitRun> {
  const model = alsFactory.create({ ...SETTINGS, iterations, workers }) as AlsModel;
  const run: FitRun = { wall: [], cpu: [], busiest: [], losses: [], model };
  let cpu = process.cpuUsage();
  let threads = threadCpuSeconds();
  await model.fit(train, {
    onEpoch: (e) => {
      const now = threadCpuSeconds();
      run.wall.push(e.seconds);
      run.cpu.push(cpuSeconds(cpu));
      run.busiest.push(busiestThread(threads, now));
      run.losses.push(e.loss as number);
      cpu = process.cpuUsage();
      threads = now;
    },
  });
  return run;
}

function referenceSeconds(train: TrainingMatrix): { wall: number; cpu: number } {
  const { userItems } = train;
  const itemUsers = transposeCsr(userItems);
  const settings = { ...SETTINGS, confidence: 'alpha-r' as const };
  const x = initialFactors(userItems.nRows, 64, SETTINGS.seed, 1, userItems);
  const y = initialFactors(userItems.nCols, 64, SETTINGS.seed, 2, itemUsers);
  const cui = confidenceMatrix(userItems, settings);
  const ciu = confidenceMatrix(itemUsers, settings);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let it = 0; it <= 3; it++) {
    const c0 = process.cpuUsage();
    const started = performance.now();
    referenceIteration(cui, ciu, x, y, settings, false);
    if (it > 0) {
      wall.push((performance.now() - started) / 1000);
      cpu.push(cpuSeconds(c0));
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function recommendSeconds(model: AlsModel, nUsers: number): Promise<number> {
  const all = Int32Array.from({ length: nUsers }, (_, u) => u);
  const times: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    const started = performance.now();
    await model.recommend(all, 10);
    if (rep > 0) times.push((performance.now() - started) / 1000);
  }
  return median(times);
}

async function benchBackend(
  backend: BackendName,
  train: TrainingMatrix,
  reference: { wall: number; cpu: number },
) {
  await initBackend(backend);
  // The pure-JS cpu backend takes minutes per iteration: one iteration, no warm-up.
  const measured = backend === 'cpu' ? 1 : MEASURED;
  const warmup = backend === 'cpu' ? 0 : 1;
  const gflops = matMulGflops();
  const ideal = iterationFlops(train.userItems) / (gflops * 1e9);
  console.log(
    `\n[${backend}] dense matMul ${gflops.toFixed(1)} GFLOP/s; iteration work ${(iterationFlops(train.userItems) / 1e9).toFixed(2)} GFLOP -> ${ideal.toFixed(3)} s at matMul speed`,
  );
  const rows: string[] = [];
  let recommend = Number.NaN;
  const results: Ml1mTimes = {};
  for (const workers of [1, 2]) {
    const loadBefore = load();
    const run = await timedFit(train, workers, warmup + measured);
    const wall = median(run.wall.slice(warmup));
    const cpu = median(run.cpu.slice(warmup));
    const busiest = median(run.busiest.slice(warmup));
    results[workers] = { wall, busiest };
    if (workers === 1) recommend = await recommendSeconds(run.model, train.users.size);
    run.model.dispose();
    rows.push(
      `| ${backend} | ${workers} | ${wall.toFixed(3)} | ${busiest.toFixed(3)} | ${cpu.toFixed(3)} | ` +
        `${(reference.wall / wall).toFixed(2)}x / ${(reference.cpu / busiest).toFixed(2)}x | ` +
        `${(wall / ideal).toFixed(1)}x / ${(busiest / ideal).toFixed(1)}x | ${run.losses.at(-1)?.toFixed(6)} | ${loadBefore}-${load()} |`,
    );
    const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
    console.log(
      `  workers ${workers}: wall ${list(run.wall)} | busiest thread ${list(run.busiest)} | all threads ${list(run.cpu)}`,
    );
  }
  return { rows, recommend, results };
}

/** ml-1m seconds per iteration by workers: wall and busiest-thread CPU (medians). */
type Ml1mTimes = Record<number, { wall: number; busiest: number }>;

async function scaleRun(ml1m: Ml1mTimes, ml1mNnz: number) {
  const started = performance.now();
  const { tables } = generateSyntheticDataset({
    users: 162_541,
    items: 59_047,
    interactions: 25_000_095,
    seed: 25,
  });
  const ratings = tables.ratings;
  const users = createIdEncoder(ratings.userId);
  const items = createIdEncoder(ratings.movieId);
  const userItems = buildCsr(
    users.size,
    items.size,
    encodeAll(users, ratings.userId),
    encodeAll(items, ratings.movieId),
  );
  const train = { userItems, users, items };
  const nnz = userItems.indices.length;
  console.log(
    `\n[scale] generated ${nnz} interactions, ${users.size} users, ${items.size} items in ${((performance.now() - started) / 1000).toFixed(1)} s; peak RSS so far ${(peakRssBytes() / 2 ** 30).toFixed(2)} GiB`,
  );
  for (const workers of [2, 1]) {
    const run = await timedFit(train, workers, 2);
    run.model.dispose();
    const ns = (seconds: number, count: number) => (seconds / count) * 1e9;
    const wall = ns(run.wall[1] as number, nnz);
    const busiest = ns(run.busiest[1] as number, nnz);
    const baseWall = ns(ml1m[workers]!.wall, ml1mNnz);
    const baseBusiest = ns(ml1m[workers]!.busiest, ml1mNnz);
    console.log(
      `| ml-25m shape | ${workers} | ${run.wall.map((s) => s.toFixed(1)).join(' / ')} s | ${run.busiest.map((s) => s.toFixed(1)).join(' / ')} s | ` +
        `${wall.toFixed(0)} / ${busiest.toFixed(0)} ns | ${baseWall.toFixed(0)} / ${baseBusiest.toFixed(0)} ns | ` +
        `${(wall / baseWall).toFixed(2)}x / ${(busiest / baseBusiest).toFixed(2)}x | ${(peakRssBytes() / 2 ** 30).toFixed(2)} GiB | ${load()} |`,
    );
  }
}

const present = await installedBackends();
const wanted = (option('--backends')?.split(',') as BackendName[] | undefined) ?? present;
const backends = wanted.filter((b) => present.includes(b));
const train = await ml1m();
console.log(
  `ml-1m: ${train.userItems.indices.length} interactions, ${train.users.size} users, ${train.items.size} items; ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}`,
);
const reference = referenceSeconds(train);
console.log(
  `plain-TS reference (1 thread): ${reference.wall.toFixed(3)} s/iteration wall, ${reference.cpu.toFixed(3)} s cpu`,
);

const table = [
  '| backend | workers | s/iteration, wall (median) | busiest thread CPU s/iteration | all threads CPU s | (a) plain-TS reference / ours: wall / CPU | (b) ours / work at matMul speed: wall / CPU | final loss | load avg |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
];
const recommendRows: string[] = [];
let wasmSeconds: Ml1mTimes | undefined;
for (const backend of backends) {
  const result = await benchBackend(backend, train, reference);
  table.push(...result.rows);
  recommendRows.push(`| ${backend} | ${result.recommend.toFixed(3)} s |`);
  if (backend === 'wasm') wasmSeconds = result.results;
}
console.log(
  `\nplain-TS reference: ${reference.wall.toFixed(3)} s/iteration (cpu ${reference.cpu.toFixed(3)} s)\n`,
);
console.log(table.join('\n'));
console.log('\n| backend | recommend top-10 for all users, seen excluded |\n|---|---:|');
console.log(recommendRows.join('\n'));

if (SCALE) {
  if (!wasmSeconds) throw new Error('--scale compares against the wasm run: include wasm in --backends');
  await initBackend('wasm');
  console.log(
    '\n| data | workers | iteration 1 / 2, wall | iteration 1 / 2, busiest thread CPU | per interaction (iteration 2): wall / CPU | ml-1m per interaction: wall / CPU | ratio: wall / CPU | peak RSS | load |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  await scaleRun(wasmSeconds, train.userItems.indices.length);
}
