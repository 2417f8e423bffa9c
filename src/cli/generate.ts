import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { writeMovieLensFiles } from '../data/writers.js';
import { generateSyntheticDataset } from '../dataset/synthetic.js';
import { cliSetup, parseOptions } from './setup.js';

const FORMATS = ['ml-100k', 'dat', 'csv'] as const;

const optionsSchema = z.object({
  users: z.coerce.number().int().min(1),
  items: z.coerce.number().int().min(1),
  interactions: z.coerce.number().int().min(1),
  seed: z.coerce.number().int(),
  format: z.enum(FORMATS),
  out: z.string().min(1),
  factors: z.coerce.number().int().min(1).max(1024),
  noise: z.coerce.number().min(0),
  halfStars: z.boolean().default(false),
  withUsers: z.boolean().default(true),
  crlf: z.boolean().default(false),
});

/**
 * `recsys generate`: a synthetic MovieLens-shaped release (power-law activity and popularity, planted
 * low-rank taste, noisy star ratings, per-user increasing timestamps) written in a source layout the readers
 * and the ETL take: ml-100k (`u.data`, `u.item`, `u.user`, ...), dat (`ratings.dat`, `movies.dat`,
 * `users.dat`) or csv (`ratings.csv`, `movies.csv`).
 * @example registerGenerate(program); // recsys generate --users 162000 --items 59000 --interactions 25000000 --format csv --out data/raw/synthetic-25m
 */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('write a synthetic MovieLens-shaped dataset of any size in a source layout')
    .requiredOption('--users <n>', 'number of users (ids 1..n)')
    .requiredOption('--items <n>', 'number of movies')
    .requiredOption('--interactions <n>', 'number of ratings (no user-movie pair repeats)')
    .requiredOption('--out <dir>', 'folder to write the files into')
    .option('--format <format>', FORMATS.join(' | '), 'csv')
    .option('--seed <n>', 'seed of every random choice', '42')
    .option('--factors <n>', 'rank of the planted taste', '8')
    .option('--noise <sd>', 'standard deviation of the rating noise before rounding', '0.5')
    .option('--half-stars', 'ratings in half stars 0.5..5 (dat and csv only)')
    .option('--no-with-users', 'leave out the users file (ml-100k and dat)')
    .option('--crlf', 'end lines with CRLF (as ml-latest-small does)')
    .action(async (raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      if (options.halfStars && options.format === 'ml-100k') {
        throw new ValidationError(
          '--half-stars',
          'the ml-100k layout holds whole stars only; use --format dat or csv',
        );
      }
      const { logger } = cliSetup();
      const started = performance.now();
      logger.info('generating', {
        users: options.users,
        items: options.items,
        interactions: options.interactions,
      });
      const { tables } = generateSyntheticDataset({
        users: options.users,
        items: options.items,
        interactions: options.interactions,
        factors: options.factors,
        ratingNoise: options.noise,
        ratingScale: options.halfStars ? 'half-stars' : 'stars',
        withUsers: options.withUsers && options.format !== 'csv',
        seed: options.seed,
      });
      const out = path.resolve(options.out);
      logger.info('writing', { format: options.format, dir: out });
      await writeMovieLensFiles(options.format, tables, out, { lineEnding: options.crlf ? '\r\n' : '\n' });
      const summary = {
        dir: out,
        format: options.format,
        users: options.users,
        movies: tables.movies.length,
        ratings: tables.ratings.length,
        seed: options.seed,
        seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
