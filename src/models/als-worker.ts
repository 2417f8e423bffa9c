/**
 * Worker-thread entry of ALS training (als-executor.ts): initialises its own TF.js backend, then solves its
 * assigned buckets of each half-step into the shared factor arrays.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '../tf/backend.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './als-executor.js';
import { solveHalfStep } from './als-solve.js';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('als-worker must run as a worker thread');

await initBackend(setup.backend as BackendName);
const { problem, assigned } = setup;

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const side = request.side;
    const input =
      side === 'users'
        ? { matrix: problem.userItems, own: problem.userFactors, other: problem.itemFactors }
        : { matrix: problem.itemUsers, own: problem.itemFactors, other: problem.userFactors };
    const terms = solveHalfStep({
      settings: problem.settings,
      ...input,
      buckets: problem.buckets[side],
      bucketIds: assigned[side],
      computeLoss: request.computeLoss,
    });
    reply = { type: 'done', id: request.id, terms };
  } catch (error) {
    reply = {
      type: 'failed',
      id: request.id,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
