/**
 * What the notebooks import: the project's public surface (src/index.ts) and the notebooks' display helpers.
 * Cells import it as `./notebooks-ts/recsys` (the kernel runs in the repository root): types from
 * recsys.d.ts, code from recsys.js, so tslab does not recompile src/ itself (see scripts/notebooks.sh).
 * @example import { loadDatasetTables, showChart } from './notebooks-ts/recsys';
 */
export * from '../../src/index.js';
export * from './charts.js';
export * from './show.js';
export * from './paths.js';
