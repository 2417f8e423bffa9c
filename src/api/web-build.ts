/**
 * Builds the web page (issue 15.4/15.5) from `web/` with esbuild: `web/src/main.ts` bundled for the browser
 * (TF.js and our own model code from `src/models`, so the page folds picks in exactly as the server does),
 * `web/index.html`, `web/style.css` and TF.js's WASM binaries, into `dist/web/`. `npm run build` runs it, and
 * `recsys serve`/`start` run it when the built page is missing or older than its sources.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `src/api/web-build.ts`, or `dist/api/web-build.js` once built). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the built page lives. */
export const WEB_DIST = path.join(REPO_ROOT, 'dist', 'web');
const WEB_SRC = path.join(REPO_ROOT, 'web');
/** Stamp written last: the build is whole when it exists. */
const STAMP = 'build.json';
/** TF.js's WASM binaries, served beside the bundle (`setWasmPaths('/web/')`). */
export const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * Node-only modules of ours that the model code imports for training (worker threads, native backends):
 * the page never trains, so they are replaced by browser stand-ins that throw if called.
 */
const BROWSER_STANDINS: Record<string, string> = {
  [path.join(REPO_ROOT, 'src', 'tf', 'backend.ts')]: path.join(WEB_SRC, 'src', 'standins', 'backend.ts'),
  [path.join(REPO_ROOT, 'src', 'tf', 'workers.ts')]: path.join(WEB_SRC, 'src', 'standins', 'workers.ts'),
};

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const { mtimeMs } = await stat(path.join(entry.parentPath, entry.name));
    if (mtimeMs > newest) newest = mtimeMs;
  }
  return newest;
}

/**
 * True when `dist/web` is missing, incomplete, or older than a file under `web/` or `src/` (the bundle
 * holds code from both).
 * @example if (await webPageStale()) await buildWebPage();
 */
export async function webPageStale(outDir: string = WEB_DIST): Promise<boolean> {
  const built = await stat(path.join(outDir, STAMP)).catch(() => null);
  if (!built) return true;
  const sources = Math.max(await newestMtime(WEB_SRC), await newestMtime(path.join(REPO_ROOT, 'src')));
  return sources > built.mtimeMs;
}

export interface WebBuildResult {
  outDir: string;
  /** Bytes of the page's script bundle. */
  bundleBytes: number;
  seconds: number;
}

/**
 * Bundles the page into `outDir` (default `dist/web`), replacing what was there only once the new build is
 * whole (built beside it, then renamed).
 * @example const { bundleBytes } = await buildWebPage();
 */
export async function buildWebPage(outDir: string = WEB_DIST): Promise<WebBuildResult> {
  const started = performance.now();
  const startedAt = Date.now();
  const esbuild = await import('esbuild');
  // Unique per build, not per process: two servers started at once in one process build side by side.
  const staging = `${outDir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [path.join(WEB_SRC, 'src', 'main.ts')],
      outfile: path.join(staging, 'app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      sourcemap: true,
      legalComments: 'linked',
      logLevel: 'silent',
      // Browsers have no `process`: environment reads in shared code see an empty environment.
      define: { 'process.env.NODE_ENV': '"production"', 'process.env': '{}' },
      plugins: [
        {
          name: 'recsys-browser-standins',
          setup(build) {
            build.onResolve({ filter: /^\.\.?\// }, (args) => {
              const resolved = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
              const standin = BROWSER_STANDINS[resolved];
              return standin ? { path: standin } : undefined;
            });
          },
        },
      ],
    });
    const require = createRequire(import.meta.url);
    const wasmDist = path.join(
      path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    for (const file of WASM_FILES) await copyFile(path.join(wasmDist, file), path.join(staging, file));
    await copyFile(path.join(WEB_SRC, 'index.html'), path.join(staging, 'index.html'));
    await copyFile(path.join(WEB_SRC, 'style.css'), path.join(staging, 'style.css'));
    const bundleBytes = (await stat(path.join(staging, 'app.js'))).size;
    await writeFile(
      path.join(staging, STAMP),
      `${JSON.stringify({ builtAt: new Date().toISOString(), bundleBytes })}\n`,
    );
    // Another process (a second server, a parallel test) built it while we did: keep that one in place, so
    // a server already reading it never sees the folder go.
    const other = await stat(path.join(outDir, STAMP)).catch(() => null);
    if (other && other.mtimeMs >= startedAt)
      return { outDir, bundleBytes, seconds: (performance.now() - started) / 1000 };
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir).catch(async (error: unknown) => {
      // Another process (a second server, a parallel test) published its build first: keep that one.
      if (!(await stat(path.join(outDir, STAMP)).catch(() => null))) throw error;
    });
    return { outDir, bundleBytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Builds the page when it is missing or stale; answers whether a page is there to serve. A failed build
 * (esbuild absent from a slim image, a syntax error) leaves the API serving and `/` answering 503 with the
 * reason.
 * @example const page = await ensureWebPage(); if (!page.ok) logger.warn('no web page', { reason: page.reason });
 */
export async function ensureWebPage(
  outDir: string = WEB_DIST,
): Promise<{ ok: true; built: WebBuildResult | null } | { ok: false; reason: string }> {
  try {
    if (!(await webPageStale(outDir))) return { ok: true, built: null };
    return { ok: true, built: await buildWebPage(outDir) };
  } catch (error) {
    const exists = await readFile(path.join(outDir, STAMP)).then(
      () => true,
      () => false,
    );
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    // A stale but whole build still serves; only a missing one is an outage of the page.
    return exists ? { ok: true, built: null } : { ok: false, reason: `web page build failed: ${reason}` };
  }
}
