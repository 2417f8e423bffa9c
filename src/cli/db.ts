import type { Command } from 'commander';
import { createLogger, type Logger } from '../core/log.js';
import { loadConfig, processEnv, type Config } from '../config.js';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';

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
      const { config, logger } = setup();
      await withDatabase(config, async (database) => {
        const { applied, skipped } = await migrate(database, { logger });
        logger.info(
          applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date',
          { applied, alreadyApplied: skipped.length, database: database.kind },
        );
      });
    });
}

function setup(overrides: Partial<Record<keyof Config, unknown>> = {}): { config: Config; logger: Logger } {
  const config = loadConfig(processEnv(), overrides);
  const logger = createLogger({ level: config.logLevel, json: config.logFormat === 'json' });
  return { config, logger };
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
