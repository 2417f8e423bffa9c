/**
 * `npm run build:web`: bundles the web page (web/ -> dist/web) with esbuild, as `recsys serve` does on start
 * when the page is missing or stale (src/api/web-build.ts).
 */
import { buildWebPage } from '../src/api/web-build.js';

const { outDir, bundleBytes, seconds } = await buildWebPage();
console.log(
  `web page built into ${outDir} (app.js ${(bundleBytes / 1e6).toFixed(2)} MB) in ${seconds.toFixed(1)} s`,
);
