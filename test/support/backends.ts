import { beforeAll, describe } from 'vitest';
import { initBackend, installedBackends, type BackendName } from '../../src/tf/backend.js';
import { tf } from '../../src/tf/tf.js';

/** The TF.js backends that load in this installation, fastest first. */
export const BACKENDS: BackendName[] = await installedBackends();

/**
 * Runs a suite once per installed backend (after tfjs's describeWithFlags): `[wasm]`, `[cpu]`, and the native
 * ones where they are installed. `only` limits the backends, e.g. to skip the slow pure-JS one for big data.
 */
export function describeEachBackend(
  name: string,
  fn: (backend: BackendName) => void,
  only?: readonly BackendName[],
): void {
  for (const backend of BACKENDS) {
    if (only && !only.includes(backend)) continue;
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initBackend(backend);
      });
      fn(backend);
    });
  }
}

/** Runs `work` and returns how many tensors it left allocated (0 means no leak). */
export async function tensorsLeakedBy(work: () => Promise<unknown> | unknown): Promise<number> {
  const before = tf.memory().numTensors;
  await work();
  return tf.memory().numTensors - before;
}
