import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { createProgressRenderer } from '../core/progress.js';
import { DATASET_NAMES } from '../core/types.js';
import { RANKING_METRIC_NAMES } from '../eval/metrics.js';
import { PROTOCOL_NAMES } from '../eval/protocol.js';
import { searchSpaceFor, tune, type TuneReport } from '../eval/tune.js';
import { getModelFactory, REGISTERED_KINDS } from '../models/registry.js';
import { initBackend } from '../tf/backend.js';
import { formatTable, loadForCommand, parseParams } from './evaluate.js';
import { startProgressJson } from './progress-json.js';
import { parseOptions, withConfiguredWorkers } from './setup.js';

/**
 * `recsys tune`: seeded search over a model's hyperparameters, chosen on the validation slice only; prints the
 * search table, the best setting and its test figures beside the defaults'.
 * @example registerTune(program); // recsys tune --model als --dataset ml-100k --trials 20 --seed 42
 */
export function registerTune(program: Command): void {
  program
    .command('tune')
    .description(
      'hyperparameter search on the validation slice; reports the best setting and its test metrics',
    )
    .option('--model <kind>', `one of ${REGISTERED_KINDS.join(', ')}`, 'als')
    .option('--dataset <name>', `one of ${DATASET_NAMES.join(', ')} (default RECSYS_DATASET or ml-1m)`)
    .option('--from <dir>', 'folder with the extracted release (default MOVIELENS_DIR; else download)')
    .option('--data-dir <dir>', 'data folder for Parquet and downloads (default RECSYS_DATA_DIR or ./data)')
    .option('--trials <n>', 'settings tried, the defaults included', '20')
    .option('--strategy <name>', 'random or grid', 'random')
    .option('--seed <n>', 'seed of the search', '42')
    .option('--split-seed <n>', 'seed of the random protocol split', '42')
    .option('--protocol <name>', `auto, ${PROTOCOL_NAMES.join(', ')}`, 'auto')
    .option('--k <n>', 'cut-off of every metric', '10')
    .option('--metric <name>', `chosen on, one of ${RANKING_METRIC_NAMES.join(', ')}`, 'ndcg')
    .option('--select-k <n>', 'cut-off of the metric chosen on, on validation', '100')
    .option('--no-refit', 'score the test slice with fits on train alone (default: train + validation)')
    .option('--param <model.name=value...>', 'hyperparameters held fixed, e.g. als.cgSteps=3')
    .option(
      '--space <name=v1,v2...>',
      'candidate values replacing the default space of a name, e.g. factors=64,128',
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--progress-json',
      'JSON lines on stdout: progress, each trial, then the report (src/cli/progress-json.ts)',
    )
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          model: z.string(),
          dataset: z.enum(DATASET_NAMES).optional(),
          from: z.string().optional(),
          dataDir: z.string().optional(),
          trials: z.coerce.number().int().min(1).max(10_000),
          strategy: z.enum(['random', 'grid']),
          seed: z.coerce.number().int(),
          splitSeed: z.coerce.number().int(),
          protocol: z.enum(['auto', ...PROTOCOL_NAMES]),
          k: z.coerce.number().int().min(1).max(1000),
          metric: z.enum(RANKING_METRIC_NAMES as [string, ...string[]]),
          selectK: z.coerce.number().int().min(1).max(1000),
          refit: z.boolean(),
          param: z.array(z.string()).default([]),
          space: z.array(z.string()).default([]),
          json: z.boolean().default(false),
          progressJson: z.boolean().default(false),
        }),
        raw,
      );
      const model = getModelFactory(options.model, '--model').kind;
      const space = {
        ...searchSpaceFor(model),
        ...parseSpace(options.space, getModelFactory(model).defaults),
      };
      const { config, logger, tables, dataset } = await loadForCommand(options);
      const given = parseParams(options.param, [model])[model] ?? {};
      const fixed = withConfiguredWorkers(getModelFactory(model).defaults, given, config);
      const backend = await initBackend(config.tfBackend, logger);
      const json = options.progressJson ? startProgressJson() : null;
      json?.emit('start', { backend: backend.name, workers: fixed.workers ?? 1 });
      const report = await tune({
        tables,
        dataset,
        model,
        space,
        fixed,
        trials: options.trials,
        strategy: options.strategy,
        seed: options.seed,
        splitSeed: options.splitSeed,
        protocol: options.protocol,
        k: options.k,
        metric: options.metric as (typeof RANKING_METRIC_NAMES)[number],
        selectK: options.selectK,
        refit: options.refit,
        onProgress: json?.onProgress ?? createProgressRenderer(),
        ...(json ? { onTrial: (trial) => json.emit('trial', trial), signal: json.signal } : {}),
      });
      if (json) {
        json.emit('result', report);
        json.close();
        return;
      }
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : formatTune(report, Object.keys(space)),
      );
    });
}

/**
 * `name=v1,v2` overrides of the search space; numbers and booleans are converted, names must be the model's.
 * @example parseSpace(['factors=64,128'], alsFactory.defaults); // { factors: [64, 128] }
 */
export function parseSpace(
  assignments: readonly string[],
  defaults: Readonly<Record<string, unknown>>,
): Record<string, (number | string | boolean)[]> {
  const out: Record<string, (number | string | boolean)[]> = {};
  for (const assignment of assignments) {
    const match = /^([A-Za-z0-9]+)=(.+)$/.exec(assignment);
    if (!match) throw new ValidationError('--space', `'${assignment}' is not name=v1,v2`);
    const [, name, list] = match as unknown as [string, string, string];
    if (!(name in defaults))
      throw new ValidationError('--space', `'${name}' is not a hyperparameter of this model`);
    out[name] = list
      .split(',')
      .map((t) => t.trim())
      .map((t) =>
        t === 'true' ? true : t === 'false' ? false : Number.isFinite(Number(t)) && t !== '' ? Number(t) : t,
      );
  }
  return out;
}

const SHOWN = ['ndcg', 'recall', 'map', 'hitrate'];

/**
 * The search table (one row per trial, best marked), then the best setting's test figures beside the
 * defaults'.
 * @example process.stdout.write(formatTune(report, ['factors', 'alpha']));
 */
export function formatTune(report: TuneReport, names: readonly string[]): string {
  const k = report.k;
  const lines = [
    `${report.model} on ${report.dataset} (${report.protocol}): ${report.trials.length} settings, ${report.strategy} ` +
      `search, seed ${report.seed}; chosen on validation ${report.metric} ` +
      `(${report.split.users_validation} users), then fit on ${report.refit ? 'train + validation' : 'train'} ` +
      `and scored on test (${report.split.users_test} users)`,
    '',
  ];
  const selectK = report.metric.slice(report.metric.indexOf('@') + 1);
  const head = ['trial', ...names, ...SHOWN.map((m) => `val ${m}@${selectK}`), `+- se`, 'fit s'];
  const rows = report.trials.map((t) => [
    `${t.trial === report.best.trial ? '*' : ' '}${t.trial}${t.trial === 0 ? ' (defaults)' : ''}`,
    ...names.map((n) => String(t.hyperparameters[n])),
    ...SHOWN.map((m) => (t.validation[`${m}@${selectK}`] as number).toFixed(4)),
    t.validationStandardError.toFixed(4),
    t.validation.fit_seconds.toFixed(1),
  ]);
  lines.push(...formatTable(head, rows), '');
  const testHead = ['on test', ...SHOWN.map((m) => `${m}@${k}`), `coverage@${k}`];
  const testRow = (label: string, m: Record<string, number>) => [
    label,
    ...[...SHOWN, 'coverage'].map((name) => (m[`${name}@${k}`] as number).toFixed(4)),
  ];
  lines.push(
    ...formatTable(testHead, [
      testRow(`best (trial ${report.best.trial})`, report.best.test),
      testRow('defaults', report.defaults.test),
    ]),
    '',
    `best: ${names.map((n) => `${report.model}.${n}=${String(report.best.hyperparameters[n])}`).join(' ')}`,
  );
  return `${lines.join('\n')}\n`;
}
