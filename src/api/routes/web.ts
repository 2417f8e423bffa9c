import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from '../zod.js';
import { AppError, NotFoundError } from '../../core/errors.js';
import { MODEL_KINDS, type ModelKind } from '../../core/types.js';
import {
  MANIFEST_JSON,
  manifestSchema,
  VERSION_PATTERN,
  type ArtifactManifest,
} from '../../artifacts/format.js';
import { readCurrentPointer } from '../../artifacts/pointer.js';
import type { ArtifactStore } from '../../storage/types.js';
import { Reply, defineRoute, type AnyRouteSpec } from '../route-spec.js';

/**
 * The web page (issue 15.4/15.5): `/` and its built files (`dist/web`, src/api/web-build.ts; nothing from a
 * CDN), the list of models the page may load, and the artifact files it loads, read through the artifact
 * store (a folder or gs://), so the page ranks with the very artifacts the server serves.
 */

/** The most a model's download (state and titles) may weigh for the page to offer it. */
export const DEFAULT_WEB_MAX_MODEL_BYTES = 64 * 1024 * 1024;

export interface WebPageOptions {
  store: ArtifactStore;
  /** The built page's folder, or why there is none (`/` then answers 503 saying so). */
  page: { dir: string } | { unavailable: string };
  /** The model kind the API serves (its column is marked as the cold-start route's). */
  servedKind: string;
  maxModelBytes?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
};

/** Files the page downloads to rank in the browser: the state (TF.js weights) and the titles. */
const PAGE_FILE = /^(state\.json|state-shard\d+of\d+\.bin|movies\.json)$/;

const webModel = z.object({
  kind: z.string(),
  version: z.string(),
  served: z.boolean(),
  bytes: z.number().int(),
  offered: z.boolean(),
  reason: z.string().optional(),
  training: z.record(z.unknown()).nullable(),
});

/** Bytes of the files the page would download for a model (state and titles). */
function pageBytes(manifest: ArtifactManifest): number {
  return Object.entries(manifest.files)
    .filter(([name]) => PAGE_FILE.test(name))
    .reduce((sum, [, file]) => sum + file.bytes, 0);
}

function why(kind: string, bytes: number, max: number): string {
  const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;
  const dense = kind === 'ease' ? ' (EASE keeps a dense movies x movies matrix)' : '';
  return `not loaded in the page: its state is ${mb(bytes)}${dense}, above the page's limit of ${mb(max)}`;
}

/**
 * @example mountRoutes(app, webRoutes({ store, page: { dir: WEB_DIST }, servedKind: 'als' }), options);
 */
export function webRoutes(options: WebPageOptions): AnyRouteSpec[] {
  const { store } = options;
  const max = options.maxModelBytes ?? DEFAULT_WEB_MAX_MODEL_BYTES;
  const manifests = new Map<string, Promise<ArtifactManifest>>();
  const manifestOf = (kind: ModelKind, version: string): Promise<ArtifactManifest> => {
    const key = `${kind}/${version}`;
    let manifest = manifests.get(key);
    if (!manifest) {
      manifest = store
        .read(`${key}/${MANIFEST_JSON}`)
        .then((bytes) => manifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))));
      manifest.catch(() => manifests.delete(key));
      manifests.set(key, manifest);
    }
    return manifest;
  };
  let built: Promise<Map<string, Buffer>> | undefined;
  const pageFiles = (dir: string): Promise<Map<string, Buffer>> =>
    (built ??= (async () => {
      const files = new Map<string, Buffer>();
      for (const name of await readdir(dir)) files.set(name, await readFile(path.join(dir, name)));
      return files;
    })().catch((error: unknown) => {
      // A read that failed (a build replacing the folder at that moment) is retried by the next request.
      built = undefined;
      throw error;
    }));
  const pageFile = async (name: string): Promise<Reply<Buffer | string>> => {
    const { page } = options;
    if ('unavailable' in page)
      return new Reply(503, `The web page is not available: ${page.unavailable}\n`, TYPES['.txt']);
    const bytes = (await pageFiles(page.dir)).get(name);
    const type = TYPES[path.extname(name)];
    if (!bytes || !type) throw new NotFoundError('file', name);
    return new Reply(200, bytes, type, {
      // Revalidated every time: the page's script and styles keep their names across builds, so a cached
      // app.js could otherwise run against a newer index.html.
      'Cache-Control': 'no-cache',
    });
  };

  return [
    defineRoute({
      method: 'get',
      path: '/',
      summary: 'The web page: pick movies, see recommendations, rank them in the browser',
      tags: ['web'],
      hidden: true,
      contentType: 'text/html; charset=utf-8',
      validate: {},
      handler: () => pageFile('index.html'),
    }),
    defineRoute({
      method: 'get',
      path: '/web/models',
      summary: "The models whose current artifact the page can load, and why not when it can't",
      tags: ['web'],
      hidden: true,
      validate: { response: z.object({ models: z.array(webModel), maxBytes: z.number() }) },
      handler: async () => {
        const models: z.infer<typeof webModel>[] = [];
        for (const kind of MODEL_KINDS) {
          const version = await readCurrentPointer(store, kind);
          if (version === null) continue;
          const manifest = await manifestOf(kind, version);
          const bytes = pageBytes(manifest);
          const offered = bytes <= max;
          models.push({
            kind,
            version,
            served: kind === options.servedKind,
            bytes,
            offered,
            ...(offered ? {} : { reason: why(kind, bytes, max) }),
            training: (manifest.training as Record<string, unknown> | undefined) ?? null,
          });
        }
        // The served model first: its column is the one the cold-start route answers for.
        models.sort((a, b) => Number(b.served) - Number(a.served));
        return { models, maxBytes: max };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/web/artifacts/{kind}/{version}/{file}',
      summary: "A file of a model's artifact the page loads (state and titles), from the artifact store",
      tags: ['web'],
      hidden: true,
      validate: {
        params: z.object({
          kind: z.enum(MODEL_KINDS as unknown as [ModelKind, ...ModelKind[]]),
          version: z.string().regex(VERSION_PATTERN, 'not an artifact version'),
          file: z.string().regex(PAGE_FILE, 'not a file the page loads'),
        }),
      },
      handler: async ({ params }) => {
        const manifest = await manifestOf(params.kind, params.version).catch(() => {
          throw new NotFoundError('artifact', `${params.kind}/${params.version}`);
        });
        if (!manifest.files[params.file]) throw new NotFoundError('artifact file', params.file);
        // What /web/models does not offer is not served either: a state of hundreds of MB (EASE on a large
        // catalogue) would be read into the server's memory for a request nobody authenticated.
        const bytes = pageBytes(manifest);
        if (bytes > max) throw new AppError('NOT_SUPPORTED', why(params.kind, bytes, max), { status: 403 });
        const file = Buffer.from(await store.read(`${params.kind}/${params.version}/${params.file}`));
        const type = TYPES[path.extname(params.file)] ?? TYPES['.bin'];
        // A version's files never change (a new training writes a new version).
        return new Reply(200, file, type, { 'Cache-Control': 'public, max-age=31536000, immutable' });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/web/{file}',
      summary: "The page's script, style sheet and TF.js's WASM binaries",
      tags: ['web'],
      hidden: true,
      validate: { params: z.object({ file: z.string().regex(/^[\w.-]+$/) }) },
      handler: ({ params }) => pageFile(params.file),
    }),
  ];
}
