import type { Worker } from 'node:worker_threads';
import type { CsrMatrix } from '../dataset/types.js';
import { siblingModuleUrl, spawnModuleWorker } from '../tf/workers.js';
import { assignBuckets, type Bucket } from './als-buckets.js';
import { LOSS_TERMS, solveHalfStep, type AlsSolveSettings } from './als-solve.js';

/**
 * Runs ALS half-steps either in this thread or split over worker threads (each with its own TF.js backend;
 * WASM has no threads in Node). Factors live in plain or shared Float32Arrays; each thread writes only the rows
 * of its own buckets, and loss terms come back per bucket and are summed in bucket order, so the result does
 * not depend on how many threads did the work.
 */

export type AlsSide = 'users' | 'items';

export interface AlsProblem {
  settings: AlsSolveSettings;
  userItems: CsrMatrix;
  itemUsers: CsrMatrix;
  /** Row-major [users, f] and [items, f]; shared memory (toShared) when workers run. */
  userFactors: Float32Array;
  itemFactors: Float32Array;
  buckets: Record<AlsSide, Bucket[]>;
}

export interface AlsExecutor {
  /** Solves every row of one side; returns LOSS_TERMS numbers per bucket of that side, in bucket order. */
  halfStep(side: AlsSide, computeLoss: boolean): Promise<Float64Array>;
  /** Frees threads; safe to call twice. */
  close(): Promise<void>;
}

function sideInput(problem: AlsProblem, side: AlsSide) {
  return side === 'users'
    ? { matrix: problem.userItems, own: problem.userFactors, other: problem.itemFactors }
    : { matrix: problem.itemUsers, own: problem.itemFactors, other: problem.userFactors };
}

/**
 * Solves in the calling thread with the active backend.
 * @example const executor = createLocalExecutor(problem); await executor.halfStep('users', false);
 */
export function createLocalExecutor(problem: AlsProblem): AlsExecutor {
  return {
    halfStep: async (side, computeLoss) => {
      const buckets = problem.buckets[side];
      const all = Int32Array.from(buckets, (_, i) => i);
      return solveHalfStep({
        settings: problem.settings,
        ...sideInput(problem, side),
        buckets,
        bucketIds: all,
        computeLoss,
      });
    },
    close: async () => undefined,
  };
}

/** Messages between the executor and als-worker.ts. */
export type WorkerRequest = { type: 'halfStep'; id: number; side: AlsSide; computeLoss: boolean };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; terms: Float64Array }
  | { type: 'failed'; id: number; message: string };

export interface WorkerSetup {
  backend: string;
  problem: AlsProblem;
  assigned: Record<AlsSide, Int32Array>;
}

let liveThreads = 0;

/** ALS worker threads currently running in this process (0 after every fit, failed or not). */
export function liveAlsWorkers(): number {
  return liveThreads;
}

interface Pending {
  resolve: (terms: Float64Array) => void;
  reject: (error: Error) => void;
}

/**
 * Starts `workers` threads, each solving its share of every bucket list on backend `backend`. The problem's
 * arrays must be in shared memory (toShared) so every thread sees the factors the others wrote.
 * @example const executor = await createWorkerExecutor(problem, 2, 'wasm');
 */
export async function createWorkerExecutor(
  problem: AlsProblem,
  workers: number,
  backend: string,
): Promise<AlsExecutor> {
  const assignment = {
    users: assignBuckets(problem.buckets.users, workers),
    items: assignBuckets(problem.buckets.items, workers),
  };
  const url = siblingModuleUrl(import.meta.url, 'als-worker');
  const threads: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const close = async () => {
    await Promise.all(threads.splice(0).map((t) => t.terminate()));
  };
  try {
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const setup: WorkerSetup = {
          backend,
          problem,
          assigned: { users: assignment.users[w]!, items: assignment.items[w]! },
        };
        const thread = spawnModuleWorker(url, setup);
        liveThreads++;
        threads.push(thread);
        return new Promise<void>((resolve, reject) => {
          thread.once('error', reject);
          thread.on('message', (reply: WorkerReply) => {
            if (reply.type === 'ready') return resolve();
            const p = pending.get(reply.id);
            pending.delete(reply.id);
            if (reply.type === 'done') p?.resolve(reply.terms);
            else p?.reject(new Error(`ALS worker ${w} failed: ${reply.message}`));
          });
          thread.on('error', (error) => failAll(error));
          thread.on('exit', (code) => {
            liveThreads--;
            if (code !== 0) failAll(new Error(`ALS worker ${w} exited with code ${code}`));
          });
        });
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  const call = (thread: Worker, side: AlsSide, computeLoss: boolean) =>
    new Promise<Float64Array>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      thread.postMessage({ type: 'halfStep', id, side, computeLoss } satisfies WorkerRequest);
    });
  return {
    halfStep: async (side, computeLoss) => {
      const parts = await Promise.all(threads.map((t) => call(t, side, computeLoss)));
      const terms = new Float64Array(problem.buckets[side].length * LOSS_TERMS);
      parts.forEach((part, w) => {
        const ids = assignment[side][w]!;
        for (let j = 0; j < ids.length; j++) {
          terms.set(part.subarray(j * LOSS_TERMS, (j + 1) * LOSS_TERMS), (ids[j] as number) * LOSS_TERMS);
        }
      });
      return terms;
    },
    close,
  };
}
