/**
 * bench:neural — the neural embedding model on the ml-1m interactions (random leave-5, seed 42), on the
 * backend the chooser picks:
 * 1. BCE with 4 sampled negatives per positive (the seed's NeuralMF setting): seconds per epoch over every
 *    train positive and examples/s (target: one epoch <= 10 s on 2 cores with WASM), at batches of 8,192 and
 *    1,024 positives (row-sparse steps with a lazy Adam, src/models/neural-steps.ts); the epoch's time includes
 *    building its examples and negatives on the host, also timed alone;
 * 2. the default model (softmax loss): seconds per epoch, positives/s;
 * 3. time to reach 0.85 x ALS's validation NDCG@100, beside ALS's own fit time, measured in the same run;
 * 4. peak RSS.
 * Usage: npm run bench:neural [-- --epochs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDatasetTables } from '../src/data/load.js';
import { evaluateRecommender, prepareEvaluation } from '../src/eval/evaluator.js';
import { splitForProtocol } from '../src/eval/protocol.js';
import {
  epochBatches,
  epochExamples,
  negativeSampler,
  positivePairs,
} from '../src/models/neural-sampling.js';
import { getModelFactory } from '../src/models/registry.js';
import type { EpochReport } from '../src/models/types.js';
import { initBackend } from '../src/tf/backend.js';
import { tf } from '../src/tf/tf.js';

const args = process.argv.slice(2);
const epochsArg = args.indexOf('--epochs');
const timedEpochs = epochsArg >= 0 ? Number(args[epochsArg + 1]) : 3;

function loadNow(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

function peakRssMb(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const backend = await initBackend();
const shared = path.resolve(process.cwd(), '..', 'shared', 'movielens');
const tables = await loadDatasetTables('ml-1m', {
  dataDir: path.join(os.tmpdir(), 'recsys-bench-neural'),
  from: shared,
});
const { split } = splitForProtocol(tables, 'random-leave-5', 42);
const validation = prepareEvaluation(split.train, split.validation);
const train = validation.train;
const positives = train.userItems.indices.length;
const validationNdcg = async (model: Parameters<typeof evaluateRecommender>[0]) =>
  (await evaluateRecommender(model, validation, { k: 100 })).metrics.ndcg;

console.log(
  `bench:neural on ml-1m interactions (random leave-5, seed 42): ${positives} train positives, ${train.users.size} users, ${train.items.size} items; backend ${backend.name}; ${os.cpus().length} cores; Node ${process.version}; ${new Date().toISOString()}; load ${loadNow()}`,
);

// The host's share of a sampled epoch: shuffled positives, 4 negatives each, and the batches' distinct rows.
{
  const userItems = train.userItems;
  const started = performance.now();
  const mark = process.cpuUsage();
  const examples = epochExamples(positivePairs(userItems), negativeSampler(userItems, 'uniform'), 4, 42, 0);
  const built = performance.now();
  epochBatches(examples, 4, 8192, userItems.nRows, userItems.nCols);
  const used = process.cpuUsage(mark);
  console.log(
    `host batch building (bce, 4 negatives): examples + negatives ${((built - started) / 1000).toFixed(2)} s, distinct rows per batch ${((performance.now() - built) / 1000).toFixed(2)} s wall; ${((used.user + used.system) / 1e6).toFixed(2)} s CPU in all; load ${loadNow()}`,
  );
}

// 1 and 2: seconds per epoch, no validation in the timing.
const rows: string[] = [];
for (const [label, settings] of [
  ['bce, 4 negatives, batches of 8,192', { loss: 'bce', negatives: 4, batchSize: 8192, l2: 0.0001 }],
  ['bce, 4 negatives, batches of 1,024', { loss: 'bce', negatives: 4, batchSize: 1024, l2: 0.0001 }],
  ['softmax (default)', {}],
] as const) {
  const factory = getModelFactory('neural');
  const model = factory.create(factory.parseHyperparameters({ ...settings, epochs: timedEpochs }));
  const epochs: EpochReport[] = [];
  // CPU seconds beside wall seconds: on a shared machine the wall clock measures the neighbours too.
  const cpu: number[] = [];
  let mark = process.cpuUsage();
  await model.fit(train, {
    onEpoch: (e) => {
      const used = process.cpuUsage(mark);
      cpu.push((used.user + used.system) / 1e6);
      epochs.push(e);
      mark = process.cpuUsage();
    },
  });
  model.dispose();
  const seconds = epochs.map((e) => e.seconds);
  const rate = epochs.map((e) => e.metrics?.examplesPerSecond ?? 0);
  const examples = epochs[0] ? (rate[0] as number) * (seconds[0] as number) : 0;
  rows.push(
    `| ${label} | ${seconds.map((s) => s.toFixed(2)).join(' / ')} | ${cpu.map((s) => s.toFixed(2)).join(' / ')} | ${Math.round(Math.max(...rate)).toLocaleString('en-US')} | ${Math.round(examples / Math.min(...cpu)).toLocaleString('en-US')} | ${loadNow()} |`,
  );
}
console.log(
  '\n| setting | wall seconds per epoch | CPU seconds per epoch | examples/s (wall, best) | examples per CPU second (best) | load after |',
);
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

// 3: ALS's fit and validation NDCG@100, then the default neural model epoch by epoch until 0.85x.
const als = getModelFactory('als').create();
const alsStarted = performance.now();
const alsCpuMark = process.cpuUsage();
await als.fit(train);
const alsSeconds = (performance.now() - alsStarted) / 1000;
const alsCpu = process.cpuUsage(alsCpuMark);
const alsNdcg = await validationNdcg(als);
als.dispose();
const target = 0.85 * alsNdcg;
const neural = getModelFactory('neural').create();
let reachedAt: number | null = null;
let reachedAtCpu: number | null = null;
let trainingSeconds = 0;
let trainingCpu = 0;
let best = 0;
let epochMark = process.cpuUsage();
await neural.fit(train, {
  onEpoch: (e) => {
    trainingSeconds += e.seconds;
  },
  validate: async () => {
    // Training CPU up to here; the validation pass itself is not counted.
    const used = process.cpuUsage(epochMark);
    trainingCpu += (used.user + used.system) / 1e6;
    const ndcg = await validationNdcg(neural);
    best = Math.max(best, ndcg);
    if (reachedAt === null && ndcg >= target) {
      reachedAt = trainingSeconds;
      reachedAtCpu = trainingCpu;
    }
    epochMark = process.cpuUsage();
    return ndcg;
  },
});
neural.dispose();
console.log(
  `\nALS (defaults): fit ${alsSeconds.toFixed(1)} s wall, ${((alsCpu.user + alsCpu.system) / 1e6).toFixed(1)} s CPU, validation NDCG@100 ${alsNdcg.toFixed(4)}; target 0.85x = ${target.toFixed(4)}`,
);
console.log(
  `neural (defaults): ${reachedAt === null ? 'did not reach the target' : `reached it after ${(reachedAt as number).toFixed(1)} s of training (${(reachedAtCpu as unknown as number).toFixed(1)} s CPU)`}; best validation NDCG@100 ${best.toFixed(4)} (${(best / alsNdcg).toFixed(2)}x ALS); ${trainingSeconds.toFixed(1)} s of training in all`,
);
console.log(`peak RSS ${peakRssMb().toFixed(0)} MB; tensors left ${tf.memory().numTensors}`);
