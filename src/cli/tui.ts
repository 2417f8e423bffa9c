import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { createStore } from '../storage/store.js';
import { runTui } from '../tui/start.js';
import { processEnv } from '../config.js';
import { cliSetup, parseOptions } from './setup.js';

/**
 * `recsys tui`: the interactive training TUI (setup, live run, results). Needs a terminal; without one it
 * says so and exits with the usage code (64). Every action it takes is a CLI command, shown on its results.
 * @example registerTui(program); // then: recsys tui
 */
export function registerTui(program: Command): void {
  program
    .command('tui')
    .description('interactive training: pick a dataset, model and settings, watch the fit, compare, promote')
    .option('--data-dir <dir>', 'data folder (default RECSYS_DATA_DIR or ./data)')
    .option('--from <dir>', 'extracted MovieLens files (default MOVIELENS_DIR)')
    .option('--base-url <url>', 'download releases from a mirror instead of files.grouplens.org')
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          dataDir: z.string().optional(),
          from: z.string().optional(),
          baseUrl: z.string().url().optional(),
        }),
        raw,
      );
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new ValidationError(
          'tui',
          'needs an interactive terminal (stdin and stdout a TTY); use recsys train, evaluate or tune instead',
        );
      }
      const { config } = cliSetup({ dataDir: options.dataDir, movielensDir: options.from });
      const env = { ...processEnv() };
      if (config.movielensDir) env.MOVIELENS_DIR = config.movielensDir;
      await runTui({
        store: createStore(config.artifactsUri),
        dataDir: config.dataDir,
        movielensDir: config.movielensDir,
        workers: config.workers,
        baseUrl: options.baseUrl,
        env,
      });
    });
}
