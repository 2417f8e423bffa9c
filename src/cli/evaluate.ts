import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createProgressRenderer } from '../core/progress.js';
import { DATASET_NAMES, MODEL_KINDS, type DatasetName, type ModelKind } from '../core/types.js';
import { loadDatasetTablesAt } from '../storage/data-location.js';
import type { DatasetTables } from '../data/schema.js';
import { runExperiment, type ExperimentReport } from '../eval/experiment.js';
import { PROTOCOL_NAMES } from '../eval/protocol.js';
import { runColdStartExperiment } from '../eval/cold-start.js';
import { DEFAULT_DIVERSITY_LEVELS, runDiversityExperiment } from '../eval/diversity.js';
import { DIVERSITY_METHODS } from '../models/diversity.js';
import { runSimilarExperiment } from '../eval/similar.js';
import { getModelFactory, parseModelList, REGISTERED_KINDS } from '../models/registry.js';
import { initBackend } from '../tf/backend.js';
import type { Config } from '../config.js';
import { startProgressJson } from './progress-json.js';
import {
  formatColdStart,
  formatDiversity,
  formatSimilar,
  parseLevels,
  parseMethods,
} from './evaluate-tasks.js';
import { cliSetup, parseOptions, withConfiguredWorkers } from './setup.js';
import { dataLocation } from './store.js';

/**
 * `recsys evaluate`: fits each model on the train side of a protocol's split and prints a comparison table of
 * the test figures (or the JSON report with `--json`).
 * @example registerEvaluate(program); // recsys evaluate --dataset ml-100k --from ../shared/movielens --models itemknn,popularity
 */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('offline evaluation of models under the seed protocol (full ranking, train items excluded)')
    .option('--dataset <name>', `one of ${DATASET_NAMES.join(', ')} (default RECSYS_DATASET or ml-1m)`)
    .option('--from <dir>', 'folder with the extracted release (default MOVIELENS_DIR; else download)')
    .option('--data-dir <dir>', 'data folder for Parquet and downloads (default RECSYS_DATA_DIR or ./data)')
    .option(
      '--models <list>',
      `comma-separated, of ${REGISTERED_KINDS.join(', ')}`,
      REGISTERED_KINDS.join(','),
    )
    .option('--k <n>', 'cut-off of every metric', '10')
    .option(
      '--protocol <name>',
      `auto (temporal when timestamps exist), ${PROTOCOL_NAMES.join(', ')}`,
      'auto',
    )
    .option('--seed <n>', 'seed of the random protocol split', '42')
    .option('--seen <policy>', "train items left out: 'all' (seed protocol) or 'positives'", 'all')
    .option(
      '--param <model.name=value...>',
      'hyperparameters, e.g. itemknn.neighbours=100 itemknn.weighting=bm25',
    )
    .option(
      '--progress-json',
      'JSON lines on stdout: progress, epochs, then the report (src/cli/progress-json.ts)',
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--task <name>',
      "'recommend' (top-k per user), 'similar' (item-to-item: is a user's next positive among the similar movies of the one before? src/eval/similar.ts), 'cold-start' (from 3 or 5 picks, src/eval/cold-start.ts) or 'diversity' (re-ranking for popularity bias, src/eval/diversity.ts)",
      'recommend',
    )
    .option(
      '--diversity <levels>',
      'levels of --task diversity, each in 0..1',
      DEFAULT_DIVERSITY_LEVELS.join(','),
    )
    .option(
      '--diversity-methods <list>',
      `methods of --task diversity, of ${DIVERSITY_METHODS.join(', ')}`,
      DIVERSITY_METHODS.join(','),
    )
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          dataset: z.enum(DATASET_NAMES).optional(),
          from: z.string().optional(),
          dataDir: z.string().optional(),
          models: z.string(),
          k: z.coerce.number().int().min(1).max(1000),
          protocol: z.enum(['auto', ...PROTOCOL_NAMES]),
          seed: z.coerce.number().int(),
          seen: z.enum(['all', 'positives']),
          param: z.array(z.string()).default([]),
          progressJson: z.boolean().default(false),
          json: z.boolean().default(false),
          task: z.enum(EVALUATE_TASKS),
          diversity: z.string(),
          diversityMethods: z.string(),
        }),
        raw,
      );
      const models = parseModelList(options.models, '--models');
      const levels = parseLevels(options.diversity);
      const methods = parseMethods(options.diversityMethods);
      const { config, logger, tables, dataset } = await loadForCommand(options);
      const given = parseParams(options.param, models);
      const onProgress = createProgressRenderer();
      const backend = await initBackend(config.tfBackend, logger);
      const json = options.progressJson ? startProgressJson() : null;
      const first = models[0] as ModelKind;
      json?.emit('start', {
        backend: backend.name,
        workers: 'workers' in getModelFactory(first).defaults ? (given[first]?.workers ?? config.workers) : 1,
      });
      const hyperparameters = Object.fromEntries(
        models.map((kind) => [
          kind,
          withConfiguredWorkers(getModelFactory(kind).defaults, given[kind] ?? {}, config),
        ]),
      );
      if (options.task === 'cold-start' || options.task === 'diversity') {
        const common = {
          tables,
          dataset,
          protocol: options.protocol,
          models,
          hyperparameters,
          k: options.k,
          seed: options.seed,
          onProgress,
        };
        const out =
          options.task === 'cold-start'
            ? await runColdStartExperiment(common)
            : await runDiversityExperiment({ ...common, levels, methods });
        process.stdout.write(
          options.json
            ? `${JSON.stringify(out, null, 2)}\n`
            : 'rows' in out
              ? formatDiversity(out)
              : formatColdStart(out),
        );
        return;
      }
      if (options.task === 'similar') {
        const similar = await runSimilarExperiment({
          tables,
          dataset,
          models,
          hyperparameters: Object.fromEntries(
            models.map((kind) => [
              kind,
              withConfiguredWorkers(getModelFactory(kind).defaults, given[kind] ?? {}, config),
            ]),
          ),
          k: options.k,
          seed: options.seed,
          onProgress,
        });
        process.stdout.write(options.json ? `${JSON.stringify(similar, null, 2)}\n` : formatSimilar(similar));
        return;
      }
      const report = await runExperiment({
        tables,
        dataset,
        protocol: options.protocol,
        models,
        hyperparameters: Object.fromEntries(
          models.map((kind) => [
            kind,
            withConfiguredWorkers(getModelFactory(kind).defaults, given[kind] ?? {}, config),
          ]),
        ),
        k: options.k,
        seed: options.seed,
        seen: options.seen,
        onProgress: json?.onProgress ?? onProgress,
        ...(json ? { onEpoch: json.onEpoch('evaluate'), signal: json.signal } : {}),
      });
      if (json) {
        json.emit('result', report);
        json.close();
        return;
      }
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatExperiment(report));
    });
}

/** What `recsys evaluate --task` measures: users' top-k lists, or similar movies (item to item). */
export const EVALUATE_TASKS = ['recommend', 'similar', 'cold-start', 'diversity'] as const;

/**
 * Config, logger and the dataset's tables for a command with `--dataset`, `--from` and `--data-dir`.
 * @example const { tables, dataset } = await loadForCommand({ dataset: 'ml-100k', from: '../shared/movielens' });
 */
export async function loadForCommand(options: {
  dataset?: DatasetName;
  from?: string;
  dataDir?: string;
}): Promise<{ config: Config; logger: Logger; tables: DatasetTables; dataset: DatasetName }> {
  const overrides: Record<string, unknown> = {};
  if (options.dataset) overrides.dataset = options.dataset;
  if (options.from) overrides.movielensDir = options.from;
  if (options.dataDir) overrides.dataDir = options.dataDir;
  const { config, logger } = cliSetup(overrides);
  const tables = await loadDatasetTablesAt(config.dataset, {
    ...dataLocation(config),
    onProgress: createProgressRenderer(),
    logger,
  });
  return { config, logger, tables, dataset: config.dataset };
}

/**
 * `model.name=value` assignments grouped per model; numbers and booleans are converted, the factories validate.
 * @example parseParams(['itemknn.neighbours=50'], ['itemknn']); // { itemknn: { neighbours: 50 } }
 */
export function parseParams(
  assignments: readonly string[],
  models: readonly ModelKind[],
  flag = '--param',
): Partial<Record<ModelKind, Record<string, unknown>>> {
  const out: Partial<Record<ModelKind, Record<string, unknown>>> = {};
  for (const assignment of assignments) {
    const match = /^([a-z]+)\.([A-Za-z0-9]+)=(.*)$/.exec(assignment);
    if (!match) throw new ValidationError(flag, `'${assignment}' is not model.name=value`);
    const [, model, name, text] = match as unknown as [string, string, string, string];
    if (!(MODEL_KINDS as readonly string[]).includes(model) || !models.includes(model as ModelKind)) {
      throw new ValidationError(flag, `'${assignment}' names model '${model}', which is not being run`);
    }
    const value =
      text === 'true'
        ? true
        : text === 'false'
          ? false
          : text !== '' && Number.isFinite(Number(text))
            ? Number(text)
            : text;
    (out[model as ModelKind] ??= {})[name] = value;
  }
  return out;
}

const REPORT_COLUMNS = ['precision', 'recall', 'map', 'ndcg', 'mrr', 'hitrate', 'coverage', 'meanPopularity'];

/**
 * The comparison table of `recsys evaluate`: one row per model, metrics at k, fit and evaluation seconds.
 * @example process.stdout.write(formatExperiment(report));
 */
export function formatExperiment(report: ExperimentReport): string {
  const s = report.split;
  const dropped = s.dropped.test + s.dropped.validation;
  const lines = [
    `${report.dataset}: ${report.protocol} split (train ${s.sizes.train}, validation ${s.sizes.validation}, ` +
      `test ${s.sizes.test}${dropped > 0 ? `; ${dropped} held-out pairs dropped, user or movie not in train` : ''})`,
    `${s.users_evaluated} users with a test positive evaluated; train items excluded (${report.seen}); k = ${report.k}`,
    '',
  ];
  const head = [
    'model',
    ...REPORT_COLUMNS.map((c) => `${c}@${report.k}`),
    'fit s',
    'eval s',
    'fallback users',
  ];
  const rows = Object.entries(report.models).map(([kind, m]) => [
    kind,
    ...REPORT_COLUMNS.map((c) => {
      const v = m[`${c}@${report.k}`] as number;
      return c === 'meanPopularity' ? v.toFixed(1) : v.toFixed(4);
    }),
    m.fit_seconds.toFixed(2),
    m.evaluate_seconds.toFixed(2),
    String(m.fallback_users),
  ]);
  lines.push(...formatTable(head, rows));
  return `${lines.join('\n')}\n`;
}

/** Left-aligned first column, right-aligned others, two spaces apart. */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  '),
  );
}
