import type { Command } from 'commander';
import { z } from 'zod';
import { NotFoundError } from '../core/errors.js';
import { MODEL_KINDS, topKRow } from '../core/types.js';
import { similarItemsOf } from '../serving/similar-source.js';
import { loadArtifactForCli, printMovieTable } from './artifacts.js';
import { cliSetup, parseOptions } from './setup.js';

/**
 * `recsys similar --movie <id> [--k 10]`: the movies most similar to one, with titles, from the model's
 * current artifact (or `--version`), answered as the API answers them (src/serving/similar-source.ts).
 * @example registerSimilarCommand(program); // then: recsys similar --movie 2571 --k 10
 */
export function registerSimilarCommand(program: Command): void {
  program
    .command('similar')
    .description('the movies most similar to a movie (titles shown)')
    .requiredOption('--movie <id>', 'raw MovieLens movie id')
    .option('--k <n>', 'how many (default 10)')
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')} (default RECSYS_MODEL or als)`)
    .option('--version <version>', 'an artifact version (default: the current one)')
    .option(
      '--similar <source>',
      "'co-rating' (support-aware co-rating cosine, what the API serves) or 'model' (default RECSYS_SIMILAR or co-rating)",
    )
    .option('--json', 'print JSON')
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          movie: z.coerce.number().int(),
          k: z.coerce.number().int().min(1).max(1000).default(10),
          model: z.string().optional(),
          version: z.string().optional(),
          similar: z.enum(['co-rating', 'model']).optional(),
          json: z.boolean().default(false),
        }),
        raw,
      );
      const { config, logger } = cliSetup({ model: options.model, similar: options.similar });
      const { loaded } = await loadArtifactForCli(config, logger, config.model, options.version);
      const { model, movies, ref } = loaded;
      try {
        const item = model.items.toDense(options.movie);
        if (item < 0) throw new NotFoundError('movie', options.movie);
        const similarItems = similarItemsOf(model, config.similar);
        const row = topKRow(await similarItems(Int32Array.of(item), options.k), 0);
        const items = row.ids.map((dense, j) => {
          const id = model.items.toRaw(dense);
          const movie = movies?.get(id);
          return {
            id,
            title: movie?.title ?? null,
            genres: movie?.genres ?? null,
            score: row.scores[j] as number,
          };
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ movie: options.movie, model: ref.kind, version: ref.version, items })}\n`,
          );
          return;
        }
        const title = movies?.get(options.movie)?.title ?? '(title unknown)';
        process.stdout.write(`similar to ${options.movie} ${title} (${ref.kind} ${ref.version}):\n`);
        printMovieTable(items);
      } finally {
        model.dispose();
      }
    });
}
