import type { Command } from 'commander';
import { z } from 'zod';
import { listArtifacts } from '../artifacts/list.js';
import { loadArtifact, type LoadedArtifact } from '../artifacts/load.js';
import { currentPointerKey, promoteArtifact, readCurrentPointer } from '../artifacts/pointer.js';
import { verifyArtifact } from '../artifacts/verify.js';
import { checkKind } from '../artifacts/version.js';
import { NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { MODEL_KINDS, type ModelKind } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { initBackend } from '../tf/backend.js';
import type { Config } from '../config.js';
import { cliSetup, parseOptions } from './setup.js';
import { openArtifactStore } from './store.js';
import { promoteIfNotWorse } from '../training/gate.js';

/**
 * `recsys artifacts list|promote|verify`, plus the helpers the train, recommend and similar commands share:
 * options parsed with zod, config from the environment and flags, the artifact store at
 * `config.artifactsUri` (RECSYS_ARTIFACTS, default ./artifacts).
 * @example registerArtifactCommands(program); // then: recsys artifacts promote als 20261125T101500123Z-1a2b3c4d
 */
export function registerArtifactCommands(program: Command): void {
  const artifacts = program
    .command('artifacts')
    .description('saved model versions: list them, verify one, move a model\'s "current" pointer');

  artifacts
    .command('list')
    .description('every saved version per model; * marks current')
    .option('--json', 'print the list as JSON')
    .action(async (raw: unknown) => {
      const options = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
      const { config } = cliSetup();
      const store = openArtifactStore(config);
      const list = await listArtifacts(store);
      if (options.json) {
        const rows = list.map((a) => ({
          kind: a.kind,
          version: a.version,
          current: a.current,
          manifest: a.manifest,
          problem: a.problem,
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write(`no artifacts in ${store.uri}\n`);
        return;
      }
      const rows = list.map((a) => [
        a.current ? '*' : ' ',
        a.kind,
        a.version,
        a.manifest?.dataset?.name ?? '-',
        a.manifest?.metrics?.['ndcg@10'] !== undefined ? a.manifest.metrics['ndcg@10'].toFixed(4) : '-',
        a.manifest?.backend ?? '-',
        a.problem ?? '',
      ]);
      printTable(['', 'model', 'version', 'dataset', 'ndcg@10', 'backend', ''], rows);
      process.stdout.write(`store: ${store.uri}\n`);
    });

  artifacts
    .command('promote')
    .description('point a model\'s "current" at a version (after verifying every file)')
    .argument('<model>', MODEL_KINDS.join(' | '))
    .argument('<version>', 'a version name from `recsys artifacts list`')
    .action(async (model: string, version: string) => {
      const { config, logger } = cliSetup();
      const store = openArtifactStore(config);
      const kind = checkKind(model);
      const { previous, current } = await promoteArtifact(store, kind, version);
      logger.info('artifact promoted', { model: kind, version: current, previous });
      process.stdout.write(`${kind}: current -> ${current}${previous ? ` (was ${previous})` : ''}\n`);
      process.stdout.write(`pointer: ${pointerLocation(store, kind)}\n`);
    });

  artifacts
    .command('gate')
    .description(
      "promote a version only if its offline metrics are not worse than the current one's (the retraining job's last step)",
    )
    .argument('<model>', MODEL_KINDS.join(' | '))
    .argument('[version]', 'the candidate (default: the newest version of the model)')
    .option('--metrics <names>', 'comma-separated metrics that must not get worse', 'ndcg@10,recall@10')
    .option('--tolerance <x>', 'how much lower a metric may be and still pass (absolute)', '0')
    .option('--dry-run', 'decide and print, but never move the pointer')
    .option('--json', 'print the decision as JSON')
    .action(async (model: string, version: string | undefined, raw: unknown) => {
      const options = parseOptions(
        z.object({
          metrics: z.string().transform((s) =>
            s
              .split(',')
              .map((m) => m.trim())
              .filter((m) => m !== ''),
          ),
          tolerance: z.coerce.number().min(0),
          dryRun: z.boolean().default(false),
          json: z.boolean().default(false),
        }),
        raw,
      );
      const { config, logger } = cliSetup();
      const store = openArtifactStore(config);
      const kind = checkKind(model);
      const decision = await promoteIfNotWorse(store, kind, version, options);
      logger.info('promotion gate', { ...decision, comparison: undefined });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
        return;
      }
      const verdict = decision.promoted ? 'promoted' : decision.promote ? 'would promote' : 'kept current';
      process.stdout.write(`${kind}: ${verdict}: ${decision.candidate} (${decision.reason})\n`);
    });

  artifacts
    .command('verify')
    .description("check every file of a version against its manifest's sha256 (default: current)")
    .argument('<model>', MODEL_KINDS.join(' | '))
    .argument('[version]', 'a version name (default: the current one)')
    .action(async (model: string, version: string | undefined) => {
      const { config } = cliSetup();
      const store = openArtifactStore(config);
      const kind = checkKind(model);
      const resolved = version ?? (await readCurrentPointer(store, kind));
      if (resolved === null) throw new NotFoundError('current artifact of model', kind);
      const { manifest } = await verifyArtifact(store, kind, resolved);
      process.stdout.write(`${kind}/${resolved}: ${Object.keys(manifest.files).length} files intact\n`);
    });
}

/**
 * Loads a model's artifact (`version` or the current one) from the configured store on the configured
 * backend. A model without `current` gets a NotFoundError that says which models have one.
 * @example const loaded = await loadArtifactForCli(config, logger, 'als', undefined);
 */
export async function loadArtifactForCli(
  config: Config,
  logger: Logger,
  model: string,
  version: string | undefined,
): Promise<{ store: ArtifactStore; loaded: LoadedArtifact }> {
  const kind = checkKind(model);
  const store = openArtifactStore(config);
  if (version === undefined && (await readCurrentPointer(store, kind)) === null) {
    const others: ModelKind[] = [];
    for (const k of MODEL_KINDS) if ((await readCurrentPointer(store, k)) !== null) others.push(k);
    const hint =
      others.length > 0
        ? `models with one: ${others.join(', ')}; pass --model`
        : `run recsys train --model ${kind} first`;
    throw new NotFoundError(`current artifact of model`, `${kind} in ${store.uri} (${hint})`);
  }
  await initBackend(config.tfBackend, logger);
  return { store, loaded: await loadArtifact(store, kind, version ?? 'current') };
}

/** Where a model's `current` pointer is, for people. */
export function pointerLocation(store: ArtifactStore, kind: ModelKind): string {
  return store.localPath(currentPointerKey(kind)) ?? `${store.uri}/${currentPointerKey(kind)}`;
}

/** Prints rows as aligned columns (the last column unpadded). */
/**
 * Prints ranked movies (recommendations, similar movies) as a numbered table.
 * @example printMovieTable([{ id: 1, title: 'Toy Story (1995)', score: 0.9, genres: 'Animation' }]);
 */
export function printMovieTable(
  movies: readonly { id: number; title?: string | null; score: number; genres?: string | null }[],
): void {
  printTable(
    ['  #', 'movie', 'title', 'score', 'genres'],
    movies.map((m, j) => [
      `  ${j + 1}`,
      String(m.id),
      m.title ?? '(title unknown)',
      m.score.toFixed(4),
      m.genres ?? '',
    ]),
  );
}

export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  for (const row of [head, ...rows]) {
    const cells = row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] as number)));
    process.stdout.write(`${cells.join('  ').trimEnd()}\n`);
  }
}
