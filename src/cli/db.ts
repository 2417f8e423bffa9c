import type { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import { createProgressRenderer } from '../core/progress.js';
import { DATASET_NAMES } from '../core/types.js';
import type { Config } from '../config.js';
import { cliSetup } from './setup.js';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { seedDatabase } from '../db/seed.js';
import { loadDatasetTablesAt } from '../storage/data-location.js';
import { dataLocation } from './store.js';

/**
 * `recsys db migrate` and `recsys db seed [dataset]`: the database named by DATABASE_URL, or the embedded
 * PGlite database under RECSYS_PGLITE_DIR (default ./data/pglite).
 * @example register(program); // then: recsys db migrate && recsys db seed ml-100k
 */
export function register(program: Command): void {
  const db = program.command('db').description('database: apply migrations, seed a dataset');

  db.command('migrate')
    .description(
      'apply prisma/migrations (recorded in _prisma_migrations exactly as prisma migrate deploy does)',
    )
    .action(async () => {
      const { config, logger } = cliSetup();
      await withDatabase(config, async (database) => {
        const { applied, skipped } = await migrate(database, { logger });
        logger.info(
          applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date',
          { applied, alreadyApplied: skipped.length, database: database.kind },
        );
      });
    });

  db.command('seed')
    .description(
      'load users, movies and ratings of a dataset with COPY (migrates first; a second run is a no-op)',
    )
    .argument('[dataset]', `one of ${DATASET_NAMES.join(', ')} (default RECSYS_DATASET, else ml-1m)`)
    .option('--from <dir>', 'already-extracted MovieLens files (default MOVIELENS_DIR, else download)')
    .option('--replace', 'replace the tables when they hold another dataset or rows added since')
    .option('--batch-rows <n>', 'rows per COPY statement', parsePositiveInt)
    .action(
      async (name: string | undefined, flags: { from?: string; replace?: boolean; batchRows?: number }) => {
        const { config, logger } = cliSetup({ dataset: name, movielensDir: flags.from });
        const onProgress = createProgressRenderer();
        const tables = await loadDatasetTablesAt(config.dataset, {
          ...dataLocation(config),
          onProgress,
          logger,
        });
        await withDatabase(config, async (database) => {
          await migrate(database, { logger });
          const result = await seedDatabase(database, tables, {
            dataset: config.dataset,
            replace: flags.replace ?? false,
            logger,
            onProgress,
            ...(flags.batchRows !== undefined ? { rowsPerCopy: flags.batchRows } : {}),
          });
          logger.info(
            result.status === 'unchanged'
              ? `${config.dataset} is already seeded: nothing to do`
              : `seeded ${config.dataset}`,
            {
              users: result.users,
              movies: result.movies,
              ratings: result.ratings,
              database: database.kind,
            },
          );
        });
      },
    );
}

async function withDatabase(config: Config, fn: (db: Database) => Promise<void>): Promise<void> {
  const database = await createDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir as string,
  });
  try {
    await fn(database);
  } finally {
    await database.close();
  }
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError('--batch-rows', `must be a positive integer, got '${value}'`);
  return n;
}
