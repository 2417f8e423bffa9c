import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { BackendError } from '../core/errors.js';
import { tf } from './tf.js';

/** Our names for the backends, fastest first. Both native packages register TF.js's 'tensorflow' backend. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendChoice {
  name: BackendName;
  /** The name TF.js knows it by. */
  tfName: string;
  flags: Record<string, boolean | number>;
  /** Why each faster backend was not taken. */
  skipped: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);
let chosen: BackendChoice | undefined;

/** Loads one backend's package and makes TF.js use it; throws when the package is absent or broken. */
async function activate(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // The native packages are optionalDependencies: absent where libtensorflow could not be downloaded,
      // present but unloadable when install scripts were skipped (missing tfjs_binding.node).
      await import(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend failed to initialize');
      return 'tensorflow';
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = path.join(
        path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
        'dist',
      );
      wasm.setWasmPaths(`${dist}${path.sep}`);
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialize');
      return 'wasm';
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialize');
      return 'cpu';
    }
  }
}

function flagsOf(tfName: string): Record<string, boolean | number> {
  if (tfName === 'wasm') {
    return {
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    };
  }
  return {};
}

/**
 * Chooses the TF.js backend once per process: the forced one (`RECSYS_TF_BACKEND`), or the first of
 * BACKEND_ORDER that loads. Logs the choice, its flags, and why each faster backend was skipped. Calling it
 * again returns the first choice unless a different backend is forced.
 * @example const backend = await initBackend('auto', logger); // { name: 'wasm', flags: { simd: true } }
 */
export async function initBackend(
  preference: BackendName | 'auto' = 'auto',
  logger?: Logger,
  options: { allowFallback?: boolean } = {},
): Promise<BackendChoice> {
  if (chosen && (preference === 'auto' || preference === chosen.name)) return chosen;
  // A forced backend that does not load is an error (a GPU job must not train on the CPU unnoticed),
  // unless the caller allows falling back to the slower backends after it.
  const candidates =
    preference === 'auto'
      ? [...BACKEND_ORDER]
      : options.allowFallback
        ? BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(preference))
        : [preference];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    try {
      const tfName = await activate(name);
      await tf.ready();
      chosen = { name, tfName, flags: flagsOf(tfName), skipped };
      logger?.info('tf backend chosen', { backend: name, ...chosen.flags });
      for (const s of skipped) {
        const log = preference === s.name ? logger?.warn : logger?.debug;
        log?.call(
          logger,
          preference === s.name ? 'tf backend asked for did not load; fell back' : 'tf backend skipped',
          {
            backend: s.name,
            reason: s.reason,
          },
        );
      }
      return chosen;
    } catch (error) {
      skipped.push({ name, reason: explainFailure(name, error) });
    }
  }
  if (preference !== 'auto' && !options.allowFallback) {
    throw new BackendError(
      `the ${preference} backend could not be loaded: ${skipped[0]?.reason ?? 'unknown error'} (--allow-fallback trains on the next backend that loads instead)`,
    );
  }
  throw new BackendError(
    `no TensorFlow.js backend could be loaded (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
  );
}

/** What @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1) loads at run time (its README; docs/architecture.md). */
export const GPU_REQUIREMENTS =
  'an NVIDIA driver >= 450 with the CUDA 11 runtime (11.2 or a later 11.x: it loads libcudart.so.11.0) and cuDNN 8 (8.1+)';

/** Why a backend did not load, in words that say what to do (missing package, binding, CUDA). */
function explainFailure(name: BackendName, error: unknown): string {
  const message = firstLine(error);
  if (name !== 'tensorflow-gpu' && name !== 'tensorflow') return message;
  const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    if (/tfjs_binding\.node/.test(message)) {
      return `${pkg} is installed without its native binding (its install script, which downloads libtensorflow, did not run): ${message}`;
    }
    return `${pkg} is not installed (an optional dependency whose install script downloads libtensorflow; install it where that download works, e.g. the GPU image): ${message}`;
  }
  if (/lib(cudart|cublas|cudnn|cufft|curand|cusolver|cusparse)[^ ]*\.so/.test(message)) {
    return `a CUDA library did not load; ${pkg} 4.22 needs ${GPU_REQUIREMENTS}: ${message}`;
  }
  return message;
}

/** The backend chosen so far, if any. */
export function currentBackend(): BackendChoice | undefined {
  return chosen;
}

/**
 * The backends that load in this installation, fastest first (for tests that run on every backend present).
 * Leaves the previously active backend active.
 */
export async function installedBackends(): Promise<BackendName[]> {
  const previous = chosen;
  const present: BackendName[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      await activate(name);
      present.push(name);
    } catch {
      // not installed or not loadable here
    }
  }
  if (previous) await activate(previous.name);
  else if (present[0]) await activate(present[0]);
  return present;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
