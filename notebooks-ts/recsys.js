// Runtime entry of the notebooks' imports (`./notebooks-ts/recsys`): the kernel loads TypeScript
// through tsx (scripts/notebooks-kernel.sh). Types come from recsys.d.ts.
export * from './lib/index.ts';
