import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Worker threads for tf work. TF.js's WASM backend has no threads in Node, so using a second core means a
 * second thread with its own backend. Sources run as TypeScript through tsx (vitest, `bin/recsys.js`) or as
 * built JavaScript (dist/); a worker module is started the same way its parent runs.
 */

const require = createRequire(import.meta.url);

/**
 * The URL of a module beside `importMetaUrl` with the same extension (`.ts` from sources, `.js` from dist).
 * @example const url = siblingModuleUrl(import.meta.url, 'als-worker');
 */
export function siblingModuleUrl(importMetaUrl: string, baseName: string): URL {
  const extension = new URL(importMetaUrl).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${baseName}${extension}`, importMetaUrl);
}

/**
 * Starts a worker thread on an ES module. A `.ts` module is started through a small bootstrap that registers
 * tsx's ESM loader in the new thread first: on Node 20, `execArgv: ['--import', 'tsx']` does not apply to a
 * worker's entry module (ERR_UNKNOWN_FILE_EXTENSION). tsx is resolved from this package, so it works whatever
 * the working directory.
 * @example const worker = spawnModuleWorker(siblingModuleUrl(import.meta.url, 'als-worker'), { backend: 'wasm' });
 */
export function spawnModuleWorker(moduleUrl: URL, workerData: unknown): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  const tsxApi = tsxEsmApiUrl();
  const bootstrap = [
    `import(${JSON.stringify(tsxApi)})`,
    '.then((api) => (api.register ?? api.default.register)())',
    `.then(() => import(${JSON.stringify(moduleUrl.href)}))`,
    '.catch((error) => { process.nextTick(() => { throw error; }); });',
  ].join('');
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The ESM build of `tsx/esm/api` (require.resolve would give the CommonJS one, which resolves its loader wrongly). */
function tsxEsmApiUrl(): string {
  const manifest = require.resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> })
    .exports;
  const entry = (exports['./esm/api'] as { import: { default: string } }).import.default;
  return pathToFileURL(path.join(path.dirname(manifest), entry)).href;
}

/**
 * A copy of a typed array in shared memory, so worker threads read (and write) it without copies.
 * @example const shared = toShared(new Float32Array(n));
 */
export function toShared<T extends Float32Array | Int32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Ctor = array.constructor as { new (buffer: SharedArrayBuffer): T };
  const shared = new Ctor(new SharedArrayBuffer(array.byteLength));
  shared.set(array as never);
  return shared;
}
