/**
 * The page's TF.js backend: WebGL where the browser gives a working WebGL context, else WASM (the binaries
 * are served by the API beside the bundle, never from a CDN), else plain JavaScript. `?backend=wasm` (or
 * webgl, cpu) in the page's address forces one.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const PAGE_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

/**
 * Tries the backends in order (or the forced one first) and answers the one TF.js chose, with why the
 * faster ones were skipped.
 * @example const { name } = await chooseBackend(new URLSearchParams(location.search).get('backend'));
 */
export async function chooseBackend(
  forced: string | null,
): Promise<{ name: string; skipped: { name: string; reason: string }[] }> {
  setWasmPaths('/web/');
  const order =
    forced && (PAGE_BACKENDS as readonly string[]).includes(forced)
      ? [forced, ...PAGE_BACKENDS.filter((b) => b !== forced)]
      : [...PAGE_BACKENDS];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // A context that opens but cannot run a kernel (some headless setups) counts as not available.
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
        return { name: tf.getBackend(), skipped };
      }
      skipped.push({ name, reason: 'did not initialize' });
    } catch (error) {
      skipped.push({ name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new Error(`no TF.js backend loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
