/**
 * The browser's stand-in for src/tf/backend.ts (swapped in by the page's build, src/api/web-build.ts): the
 * Node module loads native and WASM backends from node_modules paths; the page chooses its backend itself
 * (backend.ts beside main.ts). Model code only asks `currentBackend()` when training, which the page never does.
 */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export const GPU_REQUIREMENTS = 'not available in a browser';

/** Always undefined in the page: training code then takes its single-threaded path. */
export function currentBackend(): undefined {
  return undefined;
}

/** Not available in the page. */
export async function initBackend(): Promise<never> {
  throw new Error('initBackend is Node-only; the page chooses its TF.js backend in web/src/backend.ts');
}

/** Not available in the page. */
export async function installedBackends(): Promise<never> {
  throw new Error('installedBackends is Node-only');
}
