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
import { loadArtifactForCli, printMovieTable } from './artifacts.js';
import { cliSetup, parseOptions } from './setup.js';

/**
 * `recsys recommend --user <id> [--k 10]` prints a user's top movies with titles; `recsys recommend --all
 * --out recs.jsonl` writes every user's as JSON Lines `{"user": <raw id>, "items": [<raw ids ranked>]}`.
 * Both read the model's current artifact (or `--version`) and leave out every movie the user rated.
 * @example registerRecommendCommand(program); // then: recsys recommend --user 1 --k 10 --model als
 */
export function registerRecommendCommand(program: Command): void {
  program
    .command('recommend')
    .description("a user's top movies (titles shown), or every user's as JSON Lines with --all --out")
    .option('--user <id>', 'raw MovieLens user id')
    .option('--all', 'recommend for every user of the model (needs --out)')
    .option('--out <file>', 'JSON Lines output of --all')
    .option('--k <n>', 'movies per user (default 10)')
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')} (default RECSYS_MODEL or als)`)
    .option('--version <version>', 'an artifact version (default: the current one)')
    .option('--batch-size <n>', 'users per batch with --all (default 1024)')
    .option('--json', 'print --user results as JSON')
    .action(async (raw: unknown) => {
      const options = parseOptions(
        z.object({
          user: z.coerce.number().int().optional(),
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
      if (options.all === (options.user !== undefined)) {
        throw new ValidationError('--user', 'give either --user <id> or --all --out <file>');
      }
      if (options.all && options.out === undefined)
        throw new ValidationError('--out', 'is required with --all');
      const { config, logger } = cliSetup({ model: options.model });
      const { loaded } = await loadArtifactForCli(config, logger, config.model, options.version);
      try {
        if (options.user !== undefined) await recommendOne(loaded, options.user, options.k, options.json);
        else await recommendAll(loaded, options.out as string, options.k, options.batchSize);
      } finally {
        loaded.model.dispose();
      }
    });
}

async function recommendOne(
  loaded: LoadedArtifact,
  rawUser: number,
  k: number,
  json: boolean,
): Promise<void> {
  const { model, seen, movies, ref } = loaded;
  const user = model.users.toDense(rawUser);
  if (user < 0) throw new NotFoundError('user', rawUser);
  const users = Int32Array.of(user);
  const top = await model.recommend(users, k, {
    excludeSeen: true,
    ...(seen ? { exclude: rowsOf(seen, users) } : {}),
  });
  const row = topKRow(top, 0);
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
