/**
 * The browser's stand-in for src/tf/workers.ts (swapped in by the page's build): worker threads are Node's;
 * the page never trains, so only `toShared` (a copy in Node) is kept, as the identity.
 */
export function siblingModuleUrl(): never {
  throw new Error('worker threads are Node-only');
}

export function spawnModuleWorker(): never {
  throw new Error('worker threads are Node-only');
}

export function toShared<T extends Float32Array | Int32Array>(array: T): T {
  return array;
}
