import type { Command } from 'commander';
import { z } from 'zod';
import type { Logger } from '../core/log.js';
import type { Config } from '../config.js';
import { cliSetup, parseOptions } from './setup.js';
import { startApiServer, type ApiServer } from '../api/serve.js';
import { resolveApiToken } from '../api/token.js';

/** Flags `serve` and `start` share. */
export const serveFlagsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).optional(),
  host: z.string().optional(),
  model: z.string().optional(),
  cacheTtlMs: z.coerce.number().int().min(0).optional(),
  watchIntervalMs: z.coerce.number().int().min(0).optional(),
});
export type ServeFlags = z.infer<typeof serveFlagsSchema>;

/** Adds the shared serving flags to a command. */
export function withServeFlags(command: Command): Command {
  return command
    .option('--port <n>', 'port to listen on (PORT; default 8080; 0 picks a free one)')
    .option('--host <address>', 'address to listen on (HOST; default 0.0.0.0)')
    .option('--model <kind>', 'model whose current artifact is served (RECSYS_MODEL; default als)')
    .option(
      '--cache-ttl-ms <n>',
      "how long a user's ratings read from the database are reused, in ms (default 5000; 0: read on every request)",
    )
    .option(
      '--watch-interval-ms <n>',
      'poll the current artifact pointer this often (default 5000; 0: fs.watch only)',
    );
}

/** Parses the shared flags (ValidationError naming the flag) and the config they override. */
export function parseServeFlags(raw: Record<string, unknown>): {
  flags: ServeFlags;
  config: Config;
  logger: Logger;
} {
  const flags = parseOptions(serveFlagsSchema, raw);
  const { config, logger } = cliSetup({ port: flags.port, host: flags.host, model: flags.model });
  return { flags, config, logger };
}

/**
 * Resolves when SIGTERM or SIGINT arrives and the server has shut down gracefully (in-flight requests
 * finished, pool closed). SIGTERM first drains for RECSYS_SHUTDOWN_DELAY_MS (`/ready` 503 while still
 * serving, so a load balancer stops sending first); SIGINT (Ctrl-C) does not wait. A second signal exits at
 * once.
 * @example await untilSignal(server, logger);
 */
export function untilSignal(server: ApiServer, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      stopping = true;
      logger.info('shutting down', { signal });
      const drained = signal === 'SIGTERM' ? server.drain() : Promise.resolve();
      drained
        .then(() => server.close())
        .then(() => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          logger.info('stopped');
          resolve();
        }, reject);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/**
 * `recsys serve`: the REST API over the database and the current artifact (nothing is downloaded, seeded or
 * trained; `recsys start` does that first).
 * @example register(program); // recsys serve --port 8080
 */
export function register(program: Command): void {
  withServeFlags(
    program
      .command('serve')
      .description('serve the REST API: recommendations from the current artifact, ratings in the database'),
  ).action(async (raw: Record<string, unknown>) => {
    const { flags, config, logger } = parseServeFlags(raw);
    const token = await resolveApiToken({
      configured: config.apiToken,
      dataDir: config.localStateDir,
      generate: false,
    });
    if (token.token === undefined) {
      logger.warn('no API token (RECSYS_API_TOKEN or <data dir>/api-token): writes are refused with 401');
    } else if (token.file) {
      logger.info('writes need the bearer token in', { file: token.file });
    }
    const server = await startApiServer({
      config,
      logger,
      apiToken: token.token,
      ...(flags.cacheTtlMs !== undefined ? { userCache: { ttlMs: flags.cacheTtlMs } } : {}),
      ...(flags.watchIntervalMs !== undefined ? { watchIntervalMs: flags.watchIntervalMs } : {}),
    });
    await untilSignal(server, logger);
  });
}
