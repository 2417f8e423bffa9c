import { CancelledError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { transposeCsr } from '../dataset/csr.js';
import type { CsrMatrix } from '../dataset/types.js';
import { currentBackend, type BackendName } from '../tf/backend.js';
import { tf } from '../tf/tf.js';
import { toShared } from '../tf/workers.js';
import { planBuckets } from './als-buckets.js';
import {
  createLocalExecutor,
  createWorkerExecutor,
  type AlsExecutor,
  type AlsProblem,
} from './als-executor.js';
import { LOSS_TERMS, type AlsSolveSettings } from './als-solve.js';
import type { EpochReport, FitOptions } from './types.js';

/**
 * The ALS training loop: seeded initialisation, alternating half-steps (users, then items, as benfred/implicit
 * does), the loss of each iteration, progress and cancellation between half-steps.
 */

export interface AlsTrainingOptions {
  settings: AlsSolveSettings;
  iterations: number;
  seed: number;
  /** Rows per bucket. */
  batchSize: number;
  /** Threads solving half-steps (1: this thread; n > 1: n worker threads, each with its own backend). */
  workers: number;
  /** Padded interactions per bucket (bounds memory; default 32768). */
  maxEntries?: number;
}

export interface AlsTrainingResult {
  userFactors: Float32Array;
  itemFactors: Float32Array;
  epochs: EpochReport[];
}

/**
 * Factorises `userItems` (values are the raw strengths r; the confidence convention turns them into c).
 * @example const { userFactors, itemFactors } = await trainAls(userItems, { settings, iterations: 15, seed: 1, batchSize: 512, workers: 1 });
 */
export async function trainAls(
  userItems: CsrMatrix,
  options: AlsTrainingOptions,
  fit: FitOptions = {},
): Promise<AlsTrainingResult> {
  const { settings, iterations, workers } = options;
  const f = settings.factors;
  const shared = workers > 1;
  const share = <T extends Float32Array | Int32Array>(a: T): T => (shared ? toShared(a) : a);
  const shareCsr = (m: CsrMatrix): CsrMatrix =>
    shared ? { ...m, indptr: share(m.indptr), indices: share(m.indices), values: share(m.values) } : m;

  const bucketOptions = { batchSize: options.batchSize, maxEntries: options.maxEntries ?? 1 << 15 };
  const problem: AlsProblem = {
    settings,
    userItems: shareCsr(userItems),
    itemUsers: shareCsr(transposeCsr(userItems)),
    userFactors: share(initialFactors(userItems.nRows, f, options.seed, 1, userItems)),
    itemFactors: share(initialFactors(userItems.nCols, f, options.seed, 2, null)),
    buckets: { users: [], items: [] },
  };
  problem.buckets.users = planBuckets(problem.userItems, bucketOptions);
  problem.buckets.items = planBuckets(problem.itemUsers, bucketOptions);
  zeroEmptyRows(problem.itemFactors, problem.itemUsers, f);

  const userCounts = rowCounts(userItems);
  const executor: AlsExecutor = shared
    ? await createWorkerExecutor(problem, workers, backendName())
    : createLocalExecutor(problem);
  const epochs: EpochReport[] = [];
  try {
    for (let iteration = 1; iteration <= iterations; iteration++) {
      const started = performance.now();
      checkCancelled(fit.signal);
      await executor.halfStep('users', false);
      checkCancelled(fit.signal);
      const terms = await executor.halfStep('items', true);
      const report = epochReport(terms, problem, userCounts, settings);
      const epoch: EpochReport = {
        iteration,
        iterations,
        loss: report.loss,
        seconds: (performance.now() - started) / 1000,
        ...(report.rmse === undefined ? {} : { metrics: { rmse: report.rmse } }),
      };
      epochs.push(epoch);
      fit.onEpoch?.(epoch);
      fit.onProgress?.({
        phase: 'als iteration',
        done: iteration,
        total: iterations,
        unit: 'iterations',
        detail: `loss ${report.loss.toPrecision(6)}${report.rmse === undefined ? '' : ` rmse ${report.rmse.toFixed(4)}`}`,
      });
    }
  } finally {
    await executor.close();
  }
  // Plain (unshared) copies: the model keeps them and hands them to artifacts.
  return {
    userFactors: Float32Array.from(problem.userFactors),
    itemFactors: Float32Array.from(problem.itemFactors),
    epochs,
  };
}

/**
 * implicit's initialisation: uniform [0, 0.01) per entry, users (stream 1) and items (stream 2) from
 * independent seeded streams; rows of `rows` without interactions are zero (implicit zeroes them on the first
 * solve). Exported so references can start from the same factors.
 * @example const userFactors = initialFactors(userItems.nRows, 64, seed, 1, userItems);
 */
export function initialFactors(
  n: number,
  f: number,
  seed: number,
  stream: number,
  rows: CsrMatrix | null,
): Float32Array {
  const rng = createRng(seed).fork(stream);
  const out = new Float32Array(n * f);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() * 0.01;
  if (rows) zeroEmptyRows(out, rows, f);
  return out;
}

function zeroEmptyRows(factors: Float32Array, m: CsrMatrix, f: number): void {
  for (let r = 0; r < m.nRows; r++) {
    if (m.indptr[r + 1] === m.indptr[r]) factors.fill(0, r * f, (r + 1) * f);
  }
}

function rowCounts(m: CsrMatrix): Float32Array {
  const counts = new Float32Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) counts[r] = (m.indptr[r + 1] as number) - (m.indptr[r] as number);
  return counts;
}

/**
 * The objective after an iteration from the item half-step's per-bucket terms plus the users' regularisation:
 * implicit reports benfred/implicit's `calculate_loss` (objective / (sum c + users * items - nnz)); explicit
 * reports objective / nnz and the training RMSE.
 */
function epochReport(
  terms: Float64Array,
  problem: AlsProblem,
  userCounts: Float32Array,
  settings: AlsSolveSettings,
): { loss: number; rmse?: number } {
  let data = 0;
  let reg = 0;
  let constant = 0;
  for (let j = 0; j < terms.length; j += LOSS_TERMS) {
    data += terms[j] as number;
    reg += terms[j + 1] as number;
    constant += terms[j + 2] as number;
  }
  const f = settings.factors;
  const x = problem.userFactors;
  let userReg = 0;
  for (let u = 0; u < problem.userItems.nRows; u++) {
    let norm = 0;
    for (let j = u * f; j < (u + 1) * f; j++) norm += (x[j] as number) * (x[j] as number);
    userReg += settings.explicit ? (userCounts[u] as number) * norm : norm;
  }
  userReg *= settings.regularization;
  const nnz = problem.userItems.indices.length;
  if (settings.explicit) {
    const squaredError = Math.max(0, data + constant);
    return { loss: (squaredError + reg + userReg) / nnz, rmse: Math.sqrt(squaredError / nnz) };
  }
  const { nRows, nCols } = problem.userItems;
  return { loss: (data + reg + constant + userReg) / (constant + nRows * nCols - nnz) };
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('ALS training');
}

/** Our name of the active backend, for the workers to start the same one. */
function backendName(): BackendName {
  const active = tf.getBackend();
  if (active !== 'tensorflow') return active as BackendName;
  // Both native packages register 'tensorflow'; the chooser knows which one was loaded.
  return currentBackend()?.name === 'tensorflow-gpu' ? 'tensorflow-gpu' : 'tensorflow';
}
