import type { Command } from 'commander';
import { z } from 'zod';
import { CancelledError, ValidationError } from '../core/errors.js';
import { createProgressRenderer } from '../core/progress.js';
import { DATASET_NAMES, MODEL_KINDS } from '../core/types.js';
import { getModelFactory, MODELS } from '../models/registry.js';
import type { EpochReport, ModelFactory } from '../models/types.js';
import { initBackend } from '../tf/backend.js';
import { trainToArtifact } from '../training/pipeline.js';
import { pointerLocation, printTable } from './artifacts.js';
import { startProgressJson } from './progress-json.js';
import { cliSetup, parseOptions, withConfiguredWorkers } from './setup.js';
import { openArtifactStore } from './store.js';
import { loadTrainingTables, TRAIN_SOURCES } from './train-source.js';

/** `bm25K1` -> `bm25-k1`: the flag commander maps back to the same camelCase name. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Every hyperparameter of every registered model, with the kinds that take it and their defaults, so a
 * model's new hyperparameter gets its flag without touching this file.
 */
function hyperparameterFlags(): Map<string, { kinds: string[]; defaults: (number | string | boolean)[] }> {
  const flags = new Map<string, { kinds: string[]; defaults: (number | string | boolean)[] }>();
  for (const factory of Object.values(MODELS) as ModelFactory[]) {
    for (const [name, value] of Object.entries(factory.defaults)) {
      const entry = flags.get(name) ?? { kinds: [], defaults: [] };
      entry.kinds.push(factory.kind);
      entry.defaults.push(value);
      flags.set(name, entry);
    }
  }
  return flags;
}

/**
 * `recsys train --model <kind> --dataset <name> [--from <dir>] [hyperparameters] [--evaluate] [--no-promote]`:
 * trains on the whole dataset, saves an artifact (with every rated item and the titles) and makes it current.
 * @example registerTrainCommand(program); // then: recsys train --model itemknn --dataset ml-100k --neighbours 100
 */
export function registerTrainCommand(program: Command): void {
  const flags = hyperparameterFlags();
  const command = program
    .command('train')
    .description('train a model on a whole dataset, save it as an artifact and make it current')
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')} (default RECSYS_MODEL or als)`)
    .option('--dataset <name>', `${DATASET_NAMES.join(' | ')} (default RECSYS_DATASET or ml-1m)`)
    .option(
      '--from <dir>',
      'extracted MovieLens files to read instead of downloading (default MOVIELENS_DIR)',
    )
    .option('--data-dir <dir>', 'data folder (default RECSYS_DATA_DIR or ./data)')
    .option(
      '--source <files|db>',
      'train on the MovieLens files (default) or on every rating in the database (DATABASE_URL), API posts included',
    )
    .option('--artifacts <uri>', 'artifact store: a path or gs://bucket/prefix (default RECSYS_ARTIFACTS)')
    .option(
      '--evaluate',
      'first measure the model under the seed protocol; the artifact carries the test metrics',
    )
    .option('--k <n>', 'cut-off of the metrics with --evaluate (default 10)')
    .option('--no-promote', 'save the artifact without moving the model\'s "current" pointer')
    .option(
      '--progress-json',
      'JSON lines on stdout: progress, epochs, then the artifact (src/cli/progress-json.ts)',
    )
    .option(
      '--backend <name>',
      'TF.js backend: auto | tensorflow-gpu | tensorflow | wasm | cpu (default RECSYS_TF_BACKEND or auto); a named one that does not load is an error',
    )
    .option('--allow-fallback', 'when the --backend named does not load, train on the next one that does')
    .option('--param <name=value...>', 'any other hyperparameter of the model');
  for (const [name, { kinds, defaults }] of flags) {
    const shown = [...new Set(defaults.map(String))].join(' / ');
    command.option(`--${kebab(name)} <value>`, `${kinds.join(', ')} hyperparameter (default ${shown})`);
  }
  command.action(async (raw: Record<string, unknown>) => {
    const options = parseOptions(
      z.object({
        model: z.string().optional(),
        dataset: z.string().optional(),
        from: z.string().optional(),
        dataDir: z.string().optional(),
        source: z.enum(TRAIN_SOURCES).default('files'),
        artifacts: z.string().optional(),
        evaluate: z.boolean().default(false),
        k: z.coerce.number().int().min(1).max(1000).default(10),
        promote: z.boolean().default(true),
        param: z.array(z.string()).default([]),
        progressJson: z.boolean().default(false),
        backend: z.string().optional(),
        allowFallback: z.boolean().default(false),
      }),
      raw,
    );
    const { config, logger } = cliSetup({
      model: options.model,
      dataset: options.dataset,
      movielensDir: options.from,
      dataDir: options.dataDir,
      artifactsUri: options.artifacts,
      tfBackend: options.backend,
    });
    // Validated before any data is read, so a typo fails at once.
    const factory = getModelFactory(config.model);
    const given = collectHyperparameters(raw, flags, options.param);
    const hyperparameters = factory.parseHyperparameters(
      withConfiguredWorkers(factory.defaults, given, config),
    );
    const store = openArtifactStore(config);
    const backend = await initBackend(config.tfBackend, logger, { allowFallback: options.allowFallback });
    const json = options.progressJson ? startProgressJson() : null;
    json?.emit('start', { backend: backend.name, workers: hyperparameters.workers ?? 1 });
    const onProgress = json?.onProgress ?? createProgressRenderer();
    const tables = await loadTrainingTables(config, options.source, { onProgress, logger });
    const phase = `train ${config.model}`;
    const onEpoch = (epoch: EpochReport): void =>
      onProgress({
        phase,
        done: epoch.iteration,
        total: epoch.iterations,
        unit: 'iterations',
        detail: [
          ...(epoch.loss !== undefined ? [`loss ${epoch.loss.toPrecision(6)}`] : []),
          ...Object.entries(epoch.metrics ?? {}).map(([name, value]) => `${name} ${value.toFixed(4)}`),
        ].join(' '),
      });
    const result = await trainToArtifact({
      store,
      tables,
      dataset: config.dataset,
      kind: config.model,
      hyperparameters,
      evaluate: options.evaluate,
      k: options.k,
      onEpoch: json?.onEpoch('fit') ?? onEpoch,
      onProgress,
      promote: options.promote,
      logger,
      ...(json ? { onEvaluationEpoch: json.onEpoch('evaluate'), signal: json.signal } : {}),
    });
    const { ref, trained } = result;
    if (json) {
      if (json.signal.aborted && !result.promoted) {
        // Cancelled while saving: the run leaves no artifact.
        await store.delete(`${ref.kind}/${ref.version}`);
        throw new CancelledError('training');
      }
      json.close();
      json.emit('result', {
        ...ref,
        promoted: result.promoted,
        previous: result.previous,
        metrics: trained.metrics,
        split: trained.evaluation?.split ?? null,
        fitSeconds: trained.fitSeconds,
      });
      return;
    }
    const lines = [
      `${ref.kind} trained on ${config.dataset} in ${trained.fitSeconds.toFixed(2)} s ` +
        `(${trained.dataset.users} users, ${trained.dataset.items} movies, ${trained.dataset.positives} positives)`,
      `artifact: ${ref.location}`,
      result.promoted
        ? `current -> ${ref.version}${result.previous ? ` (was ${result.previous})` : ''} (${pointerLocation(store, ref.kind)})`
        : `not promoted: recsys artifacts promote ${ref.kind} ${ref.version}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (trained.metrics) {
      process.stdout.write(`test metrics (${trained.evaluation?.split ?? ''}):\n`);
      const rows = Object.entries(trained.metrics).map(([name, value]) => [
        `  ${name}`,
        Number.isInteger(value) ? String(value) : value.toFixed(4),
      ]);
      printTable(['  metric', 'value'], rows);
    }
  });
}

/** The hyperparameter flags given, typed like the defaults they replace, plus `--param name=value` pairs. */
function collectHyperparameters(
  raw: Record<string, unknown>,
  flags: ReturnType<typeof hyperparameterFlags>,
  params: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { defaults }] of flags) {
    const value = raw[name];
    if (typeof value === 'string') out[name] = typed(`--${kebab(name)}`, value, defaults[0]);
  }
  for (const pair of params) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ValidationError('--param', `'${pair}' is not name=value`);
    const name = pair.slice(0, eq);
    out[name] = typed(`--param ${name}`, pair.slice(eq + 1), flags.get(name)?.defaults[0]);
  }
  return out;
}

/** A flag's text as the type of the hyperparameter's default; booleans accept true/false/1/0/yes/no. */
function typed(
  flag: string,
  text: string,
  like: number | string | boolean | undefined,
): number | string | boolean {
  if (typeof like === 'boolean') {
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    throw new ValidationError(flag, `'${text}' is not true or false`);
  }
  if (typeof like === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n))
      throw new ValidationError(flag, `'${text}' is not a number`);
    return n;
  }
  return text;
}
