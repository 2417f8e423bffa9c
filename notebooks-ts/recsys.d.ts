// Types of the notebooks' imports, emitted by `npm run notebooks:setup` / `notebooks:test` (tsc, declarations
// only) into data/notebooks/types.
export * from '../data/notebooks/types/notebooks-ts/lib/index.js';
