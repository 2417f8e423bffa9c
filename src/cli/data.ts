import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createProgressRenderer } from '../core/progress.js';
import { DATASET_NAMES, type DatasetName } from '../core/types.js';
import { CATALOG } from '../data/catalog.js';
import { computeDatasetStats, formatStatsTable } from '../data/stats.js';
import {
  downloadDatasetAt,
  loadDatasetTablesAt,
  runEtlAt,
  type DataLocation,
} from '../storage/data-location.js';
import type { Config } from '../config.js';
import { dataLocation } from './store.js';
import { cliSetup, parseOptions } from './setup.js';
import { startProgressJson } from './progress-json.js';

/**
 * `recsys data list|download|etl|stats`: the MovieLens catalog, downloads, the ETL to Parquet and dataset
 * statistics. MOVIELENS_DIR (config.movielensDir) is the default `--from`; RECSYS_DATA_DIR the default
 * `--data-dir`.
 * @example registerDataCommands(program); // then: recsys data etl ml-100k --from ../shared/movielens
 */
export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('MovieLens data: catalog, download, ETL to Parquet, statistics');

  data
    .command('list')
    .description('the releases the catalog knows, with archive size and published checksum')
    .option('--json', 'print the catalog as JSON')
    .action((raw: unknown) => {
      const options = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(Object.values(CATALOG), null, 2)}\n`);
        return;
      }
      const rows = Object.values(CATALOG).map((e) => [
        e.name,
        e.sizeNote.split(' (')[0] as string,
        e.format,
        e.files.users ? 'yes' : 'no',
        e.md5 ?? 'live .md5 sidecar',
        e.description,
      ]);
      const head = ['name', 'size', 'format', 'users', 'md5', 'contents'];
      const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
      for (const row of [head, ...rows]) {
        process.stdout.write(
          `${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] as number))).join('  ')}\n`,
        );
      }
    });

  data
    .command('download')
    .description('download, verify and extract a release into <data-dir>/raw/<name>')
    .argument('<name>', `one of ${DATASET_NAMES.join(', ')}`)
    .option('--force', 'download again even if already complete')
    .option('--data-dir <dir>', 'data folder (default RECSYS_DATA_DIR or ./data)')
    .option('--base-url <url>', 'download from a mirror instead of files.grouplens.org')
    .option('--progress-json', 'JSON lines on stdout: progress, then the folder (src/cli/progress-json.ts)')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(
        z.object({
          force: z.boolean().default(false),
          dataDir: z.string().optional(),
          baseUrl: z.string().url().optional(),
          progressJson: z.boolean().default(false),
        }),
        raw,
      );
      const { config, logger } = cliSetup({ dataDir: options.dataDir });
      const json = options.progressJson ? startProgressJson() : null;
      // A gs:// data dir keeps the release under raw/<name> there (downloaded into RECSYS_CACHE_DIR first).
      const dir = await downloadDatasetAt(
        datasetName(name),
        {
          ...dataLocation(config),
          ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
          onProgress: json?.onProgress ?? createProgressRenderer(),
          logger,
        },
        { force: options.force, ...(json ? { signal: json.signal } : {}) },
      );
      if (json) {
        json.emit('result', { dir });
        json.close();
        return;
      }
      process.stdout.write(`${dir}\n`);
    });

  data
    .command('etl')
    .description(
      'convert a release to Parquet under <data-dir>/parquet/<name> (a no-op when inputs are unchanged)',
    )
    .argument('<name>', `one of ${DATASET_NAMES.join(', ')}`)
    .option('--from <dir>', 'extracted files to read instead of downloading (default MOVIELENS_DIR)')
    .option('--data-dir <dir>', 'data folder (default RECSYS_DATA_DIR or ./data)')
    .option('--skip-bad-lines', 'skip malformed lines and report counts instead of failing')
    .option('--force', 'convert again even when the inputs are unchanged')
    .option('--user-col <name>', 'user column of an interactions Parquet input', 'userID')
    .option('--item-col <name>', 'item column of an interactions Parquet input', 'movieID')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(
        z.object({
          from: z.string().optional(),
          dataDir: z.string().optional(),
          skipBadLines: z.boolean().default(false),
          force: z.boolean().default(false),
          userCol: z.string().min(1),
          itemCol: z.string().min(1),
        }),
        raw,
      );
      const { config, logger } = cliSetup({ dataDir: options.dataDir, movielensDir: options.from });
      const dataset = datasetName(name);
      const onProgress = createProgressRenderer();
      // Paths or gs:// URIs: on gs:// the ETL runs in RECSYS_CACHE_DIR and its files are uploaded, etl.json last.
      const result = await runEtlAt(dataset, sourceOptions(config, logger, onProgress), {
        skipBadLines: options.skipBadLines,
        force: options.force,
        interactionColumns: { user: options.userCol, item: options.itemCol },
      });
      const { outputs, skipped, ratingsSource } = result.manifest;
      const lines = [
        `${dataset}: ${result.reused ? 'already up to date' : 'converted'} in ${result.location}`,
        `  ratings.parquet  ${outputs.ratings.rows} rows (${outputs.ratings.columns.join(', ')}) from ${ratingsSource.file}`,
        `  movies.parquet   ${outputs.movies.rows} rows`,
        ...(outputs.users ? [`  users.parquet    ${outputs.users.rows} rows`] : []),
      ];
      if (skipped.total > 0) {
        lines.push(`  skipped ${skipped.total} bad lines:`);
        for (const [reason, count] of Object.entries(skipped.byReason)) lines.push(`    ${reason}: ${count}`);
        for (const example of skipped.examples)
          lines.push(`    e.g. ${example.file}:${example.line}: ${example.message}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  data
    .command('stats')
    .description('counts, sparsity, rating histogram, activity quantiles and long-tail share')
    .argument('<name>', `one of ${DATASET_NAMES.join(', ')}`)
    .option('--from <dir>', 'extracted files to read instead of downloading (default MOVIELENS_DIR)')
    .option('--data-dir <dir>', 'data folder (default RECSYS_DATA_DIR or ./data)')
    .option('--json', 'print one JSON object')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(
        z.object({
          from: z.string().optional(),
          dataDir: z.string().optional(),
          json: z.boolean().default(false),
        }),
        raw,
      );
      const { config, logger } = cliSetup({ dataDir: options.dataDir, movielensDir: options.from });
      const dataset = datasetName(name);
      const tables = await loadDatasetTablesAt(
        dataset,
        sourceOptions(config, logger, createProgressRenderer()),
      );
      const stats = computeDatasetStats(tables);
      process.stdout.write(
        options.json ? `${JSON.stringify({ dataset, ...stats })}\n` : formatStatsTable(dataset, stats),
      );
    });
}

function datasetName(name: string): DatasetName {
  const parsed = z.enum(DATASET_NAMES).safeParse(name);
  if (!parsed.success)
    throw new ValidationError('name', `'${name}' is not one of ${DATASET_NAMES.join(', ')}`);
  return parsed.data;
}

function sourceOptions(
  config: Config,
  logger: Logger,
  onProgress: ReturnType<typeof createProgressRenderer>,
): DataLocation {
  return { ...dataLocation(config), logger, onProgress };
}
