import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { LoadedArtifact } from '../artifacts/load.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { createProgressRenderer } from '../core/progress.js';
import { MODEL_KINDS, topKRow } from '../core/types.js';
import { rowsOf } from '../eval/evaluator.js';
import { diversify } from '../models/diversity.js';
import { MAX_K } from '../serving/user-rankings.js';
import { loadArtifactForCli, printMovieTable, printTable } from './artifacts.js';
import { artifactServing, parseIdList, recommendLike } from './recommend-like.js';
import { cliSetup, parseOptions } from './setup.js';

/**
 * `recsys recommend --user <id> [--k 10]` prints a user's top movies with titles; `recsys recommend --all
 * --out recs.jsonl` writes every user's as JSON Lines `{"user": <raw id>, "items": [<raw ids ranked>]}`.
 * Both read the model's current artifact (or `--version`) and leave out every movie the user rated.
 * `recsys recommend --like 1,260 --genres Comedy [--diversity 0.5]` ranks for a visitor exactly as
 * `GET /recommendations` does (recommend-like.ts); `--diversity` also re-ranks `--user`'s list.
 * @example registerRecommendCommand(program); // then: recsys recommend --user 1 --k 10 --model als
 */
export function registerRecommendCommand(program: Command): void {
  program
    .command('recommend')
    .description("a user's top movies (titles shown), or every user's as JSON Lines with --all --out")
    .option('--user <id>', 'raw MovieLens user id')
    .option(
      '--like <ids>',
      'liked movie ids separated by commas: recommend for a visitor (as GET /recommendations)',
    )
    .option('--genres <names>', 'genre names separated by commas, with or without --like')
    .option('--diversity <x>', '0..1: re-rank the 100 best toward less popular movies (default 0)')
    .option('--all', 'recommend for every user of the model (needs --out)')
    .option('--out <file>', 'JSON Lines output of --all')
    .option('-k, --k <n>', 'movies per user (default 10)')
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')} (default RECSYS_MODEL or als)`)
    .option('--version <version>', 'an artifact version (default: the current one)')
    .option('--batch-size <n>', 'users per batch with --all (default 1024)')
    .option('--json', 'print --user results as JSON')
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          user: z.coerce.number().int().optional(),
          like: z.string().optional(),
          genres: z.string().optional(),
          diversity: z.coerce.number().min(0).max(1).default(0),
          all: z.boolean().default(false),
          out: z.string().optional(),
          k: z.coerce.number().int().min(1).max(1000).default(10),
          model: z.string().optional(),
          version: z.string().optional(),
          batchSize: z.coerce.number().int().min(1).max(1_000_000).default(1024),
          json: z.boolean().default(false),
        }),
        raw,
      );
      const visitor = options.like !== undefined || options.genres !== undefined;
      if ([options.all, options.user !== undefined, visitor].filter(Boolean).length !== 1) {
        throw new ValidationError(
          '--user',
          'give one of --user <id>, --all --out <file>, or --like <ids> / --genres <names>',
        );
      }
      const like = parseIdList(options.like, '--like');
      const genres = options.genres ? options.genres.split(',') : [];
      if (visitor && options.k > MAX_K)
        throw new ValidationError('--k', `must be at most ${MAX_K} with --like`);
      if (options.all && options.out === undefined)
        throw new ValidationError('--out', 'is required with --all');
      if (options.all && options.diversity !== 0)
        throw new ValidationError('--diversity', 'applies to --user and --like, not to --all');
      const { config, logger } = cliSetup({ model: options.model });
      const { loaded } = await loadArtifactForCli(config, logger, config.model, options.version);
      try {
        if (visitor) {
          const movies = await recommendLike(loaded, {
            like,
            genres,
            k: options.k,
            diversity: options.diversity,
          });
          printVisitorList(movies, loaded, options.json);
        } else if (options.user !== undefined) {
          await recommendOne(loaded, options.user, options.k, options.json, options.diversity);
        } else await recommendAll(loaded, options.out as string, options.k, options.batchSize);
      } finally {
        loaded.model.dispose();
      }
    });
}

/** `--like` / `--genres` output: the route's body with `--json`, else a table. */
function printVisitorList(
  movies: { id: number; title: string; genre: string }[],
  loaded: LoadedArtifact,
  json: boolean,
): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ movies })}\n`);
    return;
  }
  process.stdout.write(`top ${movies.length} for these picks (${loaded.ref.kind} ${loaded.ref.version}):\n`);
  printTable(
    ['  #', 'movie', 'title', 'genres'],
    movies.map((m, j) => [`  ${j + 1}`, String(m.id), m.title, m.genre]),
  );
}

async function recommendOne(
  loaded: LoadedArtifact,
  rawUser: number,
  k: number,
  json: boolean,
  diversity = 0,
): Promise<void> {
  const { model, seen, movies, ref } = loaded;
  const user = model.users.toDense(rawUser);
  if (user < 0) throw new NotFoundError('user', rawUser);
  const users = Int32Array.of(user);
  // With diversity the model's 100 best are re-ranked (src/models/diversity.ts), as the API does.
  const depth = diversity > 0 ? Math.max(k, MAX_K) : k;
  const top = await model.recommend(users, depth, {
    excludeSeen: true,
    ...(seen ? { exclude: rowsOf(seen, users) } : {}),
  });
  const full = topKRow(top, 0);
  const row = diversity > 0 ? reRank(full, k, diversity, loaded, model.users.toRaw(user)) : full;
  const items = row.ids.map((dense, j) => {
    const id = model.items.toRaw(dense);
    const movie = movies?.get(id);
    return { id, title: movie?.title ?? null, genres: movie?.genres ?? null, score: row.scores[j] as number };
  });
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ user: rawUser, model: ref.kind, version: ref.version, items })}\n`,
    );
    return;
  }
  process.stdout.write(`top ${items.length} for user ${rawUser} (${ref.kind} ${ref.version}):\n`);
  printMovieTable(items);
}

/** The row re-ranked by `diversify` over raw ids, scores kept with their movies. */
function reRank(
  row: { ids: number[]; scores: number[] },
  k: number,
  diversity: number,
  loaded: LoadedArtifact,
  rawUser: number,
): { ids: number[]; scores: number[] } {
  const { model, seen } = loaded;
  const { context } = artifactServing(loaded);
  const raw = row.ids.map((dense) => model.items.toRaw(dense));
  const user = model.users.toDense(rawUser);
  const history: number[] = [];
  const matrix = model.trainingMatrix ?? seen;
  if (matrix && user >= 0) {
    for (let p = matrix.indptr[user] as number; p < (matrix.indptr[user + 1] as number); p++) {
      history.push(model.items.toRaw(matrix.indices[p] as number));
    }
  }
  const chosen = diversify({ ranked: raw, k, diversity, context, history });
  const at = new Map(raw.map((id, j) => [id, j]));
  return {
    ids: chosen.map((id) => row.ids[at.get(id) as number] as number),
    scores: chosen.map((id) => row.scores[at.get(id) as number] as number),
  };
}

/**
 * Streams every user's list to `out` through a temp file in the same folder, renamed into place at the end,
 * so the file is either the previous one or complete.
 */
async function recommendAll(
  loaded: LoadedArtifact,
  out: string,
  k: number,
  batchSize: number,
): Promise<void> {
  const { model, seen } = loaded;
  const target = path.resolve(out);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const stream = fs.createWriteStream(tmp);
  const onProgress = createProgressRenderer();
  const nUsers = model.users.size;
  try {
    for (let start = 0; start < nUsers; start += batchSize) {
      const users = Int32Array.from({ length: Math.min(batchSize, nUsers - start) }, (_, q) => start + q);
      const top = await model.recommend(users, k, {
        excludeSeen: true,
        ...(seen ? { exclude: rowsOf(seen, users) } : {}),
      });
      let chunk = '';
      for (let q = 0; q < users.length; q++) {
        const items = topKRow(top, q).ids.map((dense) => model.items.toRaw(dense));
        chunk += `${JSON.stringify({ user: model.users.toRaw(users[q] as number), items })}\n`;
      }
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', resolve));
      onProgress({ phase: 'recommend', done: start + users.length, total: nUsers, unit: 'users' });
    }
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
    await fs.promises.rename(tmp, target);
  } catch (error) {
    stream.destroy();
    await fs.promises.rm(tmp, { force: true });
    throw error;
  }
  process.stdout.write(`wrote ${nUsers} users x ${k} movies to ${target}\n`);
}
