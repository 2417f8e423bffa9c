/**
 * Every TUI action is a CLI command: the arguments a run's child process gets, and the command line the
 * results screen shows so the same run can be repeated without the TUI.
 */
import type { DatasetName, ModelKind } from '../core/types.js';

/** The three modes of the setup screen. */
export const RUN_MODES = ['evaluate', 'train-and-promote', 'tune'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** What the setup screen chose. */
export interface RunSetup {
  mode: RunMode;
  dataset: DatasetName;
  model: ModelKind;
  /** Hyperparameters that differ from the form's defaults, typed. */
  hyperparameters: Record<string, string | number | boolean>;
  /** Cut-off of the metrics. */
  k: number;
  /** Settings tried by a tune run, the defaults included. */
  trials: number;
  /** The folder of the extracted release when it was found under MOVIELENS_DIR, else null (data dir). */
  from: string | null;
  dataDir: string;
}

/** `bm25K1` -> `bm25-k1`, as commander names a camelCase option. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The `recsys` arguments of a run, without the machine-readable flag and the data location (see runArgs).
 * @example commandArgs({ mode: 'train-and-promote', dataset: 'ml-100k', model: 'als', hyperparameters: { iterations: 5 }, k: 10, trials: 10, from: null, dataDir: 'data' });
 *          // ['train', '--model', 'als', '--dataset', 'ml-100k', '--evaluate', '--k', '10', '--no-promote', '--iterations', '5']
 */
export function commandArgs(setup: RunSetup): string[] {
  const params = Object.entries(setup.hyperparameters);
  const perModel = params.flatMap(([name, value]) => ['--param', `${setup.model}.${name}=${String(value)}`]);
  switch (setup.mode) {
    case 'evaluate':
      return [
        'evaluate',
        '--dataset',
        setup.dataset,
        '--models',
        setup.model,
        '--k',
        String(setup.k),
        ...perModel,
      ];
    case 'train-and-promote':
      return [
        'train',
        '--model',
        setup.model,
        '--dataset',
        setup.dataset,
        '--evaluate',
        '--k',
        String(setup.k),
        // The results screen decides: promote, keep or discard.
        '--no-promote',
        ...params.flatMap(([name, value]) => [`--${kebab(name)}`, String(value)]),
      ];
    case 'tune':
      return [
        'tune',
        '--model',
        setup.model,
        '--dataset',
        setup.dataset,
        '--trials',
        String(setup.trials),
        '--k',
        String(setup.k),
        ...perModel,
      ];
  }
}

/**
 * The child process's arguments: the command plus where the data is and `--progress-json`.
 * @example runArgs(setup); // [...commandArgs(setup), '--data-dir', 'data', '--progress-json']
 */
export function runArgs(setup: RunSetup): string[] {
  return [
    ...commandArgs(setup),
    '--data-dir',
    setup.dataDir,
    ...(setup.from !== null ? ['--from', setup.from] : []),
    '--progress-json',
  ];
}

/** Quotes an argument for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=@,:+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line shown on the results screen (the data location comes from the same environment).
 * @example commandLine(setup); // 'recsys train --model als --dataset ml-100k --evaluate --k 10 --no-promote --iterations 5'
 */
export function commandLine(args: readonly string[]): string {
  return ['recsys', ...args].map(shellQuote).join(' ');
}
