import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32cOf } from '../../src/storage/gcs.js';

/**
 * A small in-process fake of the Google Cloud Storage JSON API, enough for `@google-cloud/storage` 7.x pointed
 * at it with `apiEndpoint` (or STORAGE_EMULATOR_HOST): multipart and resumable uploads, media downloads with
 * `x-goog-hash`, metadata, list with prefix/delimiter/pages, delete. Like GCS it refuses an upload whose body
 * does not match the `md5Hash`/`crc32c` sent in its metadata (400) and an `ifGenerationMatch` that does not
 * hold (412), and every write gets a new generation. Tests can make it fail on purpose: answer 500s, cut an
 * upload in the middle of its body, damage the bytes of an upload or of a download.
 */

export interface FakeObject {
  bytes: Buffer;
  generation: number;
  metageneration: number;
  contentType: string;
  md5: string;
  crc32c: string;
  updated: string;
}

type Fault =
  | { kind: 'status'; status: number; match: (req: RequestInfo) => boolean }
  | { kind: 'cut'; match: (req: RequestInfo) => boolean }
  | { kind: 'corrupt-upload'; match: (req: RequestInfo) => boolean }
  | { kind: 'corrupt-download'; match: (req: RequestInfo) => boolean };

export interface RequestInfo {
  method: string;
  /** The path without the `/storage/v1` or `/upload/storage/v1` prefix, e.g. `/b/bkt/o/als%2Fcurrent`. */
  path: string;
  upload: boolean;
  query: URLSearchParams;
  /** The object name the request addresses (decoded), where there is one. */
  object: string | null;
}

export interface FakeGcs {
  /** `http://127.0.0.1:<port>`: pass as `apiEndpoint` or STORAGE_EMULATOR_HOST. */
  readonly endpoint: string;
  /** Every request seen, in order (method, path, status). */
  readonly log: {
    method: string;
    path: string;
    query: string;
    object: string | null;
    status: number;
    bytes: number;
  }[];
  objects(bucket: string): Map<string, FakeObject>;
  /** The next `times` requests that `match` answer `status` (default: every request). */
  failNext(times: number, status?: number, match?: (req: RequestInfo) => boolean): void;
  /** The next upload that `match` has its connection cut after part of its body arrived. */
  cutNextUpload(match?: (req: RequestInfo) => boolean): void;
  /** The next upload that `match` arrives with one byte flipped (as if damaged in transit). */
  corruptNextUpload(match?: (req: RequestInfo) => boolean): void;
  /** The next media download that `match` sends one byte flipped (the hash headers stay the stored ones). */
  corruptNextDownload(match?: (req: RequestInfo) => boolean): void;
  close(): Promise<void>;
}

const any = (): boolean => true;

/**
 * Starts the fake on 127.0.0.1 and a free port. Buckets exist on first use.
 * @example const gcs = await startFakeGcs(); new Storage({ apiEndpoint: gcs.endpoint, projectId: 'test' });
 */
export async function startFakeGcs(): Promise<FakeGcs> {
  const buckets = new Map<string, Map<string, FakeObject>>();
  const sessions = new Map<
    string,
    { bucket: string; name: string; meta: Record<string, unknown>; query: URLSearchParams; received: Buffer }
  >();
  const faults: Fault[] = [];
  const log: FakeGcs['log'] = [];
  let nextGeneration = 1_700_000_000_000_000;
  const bucketOf = (name: string): Map<string, FakeObject> => {
    let b = buckets.get(name);
    if (!b) buckets.set(name, (b = new Map()));
    return b;
  };
  const takeFault = (kind: Fault['kind'], req: RequestInfo): Fault | undefined => {
    const i = faults.findIndex((f) => f.kind === kind && f.match(req));
    return i < 0 ? undefined : faults.splice(i, 1)[0];
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let p = url.pathname;
    const upload = p.startsWith('/upload/storage/v1/');
    p = p.replace(/^\/upload\/storage\/v1/, '').replace(/^\/storage\/v1/, '');
    const m = /^\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(p);
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path: p,
      upload,
      query: url.searchParams,
      object: m?.[2] !== undefined ? decodeURIComponent(m[2]) : (url.searchParams.get('name') ?? null),
    };
    /** Body bytes received so far (logged with each answer). */
    let seen = 0;
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      log.push({ method: info.method, path: p, query: url.search, object: info.object, status, bytes: seen });
      if (body === undefined) {
        res.writeHead(status, headers).end();
        return;
      }
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      res
        .writeHead(status, {
          'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json',
          'content-length': String(bytes.length),
          ...headers,
        })
        .end(bytes);
    };
    const error = (status: number, message: string): void =>
      send(status, { error: { code: status, message, errors: [{ message, reason: String(status) }] } });

    const injected = takeFault('status', info);
    if (injected?.kind === 'status') {
      req.resume();
      error(injected.status, 'injected failure');
      return;
    }
    if (!m) {
      req.resume();
      error(404, `no route ${p}`);
      return;
    }
    const bucket = bucketOf(decodeURIComponent(m[1] as string));

    const chunks: Buffer[] = [];
    // Only requests that carry an object's bytes are cut: a multipart upload or a resumable upload's PUT.
    const media = upload && (info.method === 'PUT' || url.searchParams.get('uploadType') === 'multipart');
    const cut = media ? takeFault('cut', info) : undefined;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      seen += chunk.length;
      if (cut && seen > 64 && !req.socket.destroyed) {
        log.push({
          method: info.method,
          path: p,
          query: url.search,
          object: info.object,
          status: 0,
          bytes: seen,
        });
        req.socket.destroy();
        keepPartial(Buffer.concat(chunks));
      }
    });
    /** Like GCS, a resumable session keeps the bytes that arrived before a cut; the client resumes after them. */
    const keepPartial = (partial: Buffer): void => {
      const session = sessions.get(url.searchParams.get('upload_id') ?? '');
      const start = /^bytes (\d+)-/.exec(String(req.headers['content-range'] ?? ''))?.[1];
      if (session && start !== undefined && Number(start) === session.received.length) {
        session.received = Buffer.concat([session.received, partial]);
      }
    };
    req.on('end', () => {
      if (cut) {
        // The whole body fitted in one chunk: cut before answering.
        if (!req.socket.destroyed) req.socket.destroy();
        return;
      }
      const body = Buffer.concat(chunks);
      try {
        handle(body);
      } catch (e) {
        error(500, (e as Error).message);
      }
    });

    const metaOf = (name: string, o: FakeObject): Record<string, unknown> => ({
      kind: 'storage#object',
      id: `${m[1]}/${name}/${o.generation}`,
      name,
      bucket: decodeURIComponent(m[1] as string),
      generation: String(o.generation),
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      size: String(o.bytes.length),
      md5Hash: o.md5,
      crc32c: o.crc32c,
      updated: o.updated,
      timeCreated: o.updated,
    });

    /** Stores an upload after the checks GCS makes; answers its metadata. */
    const store = (
      name: string,
      meta: Record<string, unknown>,
      query: URLSearchParams,
      data: Buffer,
    ): void => {
      if (takeFault('corrupt-upload', info) && data.length > 0) {
        data = Buffer.from(data);
        data[0] = (data[0] as number) ^ 0xff;
      }
      const md5 = createHash('md5').update(data).digest('base64');
      const crc32c = crc32cOf(data);
      if (typeof meta.md5Hash === 'string' && meta.md5Hash !== md5) {
        error(400, `Provided MD5 hash "${meta.md5Hash}" doesn't match calculated MD5 hash "${md5}".`);
        return;
      }
      if (typeof meta.crc32c === 'string' && meta.crc32c !== crc32c) {
        error(400, `Provided CRC32C "${meta.crc32c}" doesn't match calculated CRC32C "${crc32c}".`);
        return;
      }
      const existing = bucket.get(name);
      const want = query.get('ifGenerationMatch');
      if (want !== null && String(existing?.generation ?? 0) !== want) {
        error(412, 'At least one of the pre-conditions you specified did not hold.');
        return;
      }
      const object: FakeObject = {
        bytes: data,
        generation: ++nextGeneration,
        metageneration: 1,
        contentType: typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream',
        md5,
        crc32c,
        updated: new Date().toISOString(),
      };
      bucket.set(name, object);
      send(200, metaOf(name, object));
    };

    function handle(body: Buffer): void {
      const q = url.searchParams;
      if (upload && info.method === 'POST' && q.get('uploadType') === 'multipart') {
        const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1];
        if (!boundary) return error(400, 'multipart without boundary');
        const parts = splitMultipart(body, boundary);
        if (parts.length !== 2) return error(400, `multipart with ${parts.length} parts`);
        const meta = JSON.parse((parts[0] as Buffer).toString('utf8')) as Record<string, unknown>;
        const name = (q.get('name') ?? meta.name) as string | undefined;
        if (!name) return error(400, 'no object name');
        return store(name, meta, q, parts[1] as Buffer);
      }
      if (upload && info.method === 'POST' && q.get('uploadType') === 'resumable') {
        const meta = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        const name = (q.get('name') ?? meta.name) as string | undefined;
        if (!name) return error(400, 'no object name');
        const id = randomBytes(8).toString('hex');
        sessions.set(id, {
          bucket: m![1] as string,
          name,
          meta,
          query: new URLSearchParams(q),
          received: Buffer.alloc(0),
        });
        const host = req.headers.host ?? '127.0.0.1';
        return send(
          200,
          {},
          { location: `http://${host}/upload/storage/v1/b/${m![1]}/o?uploadType=resumable&upload_id=${id}` },
        );
      }
      if (upload && info.method === 'PUT' && q.get('upload_id')) {
        const session = sessions.get(q.get('upload_id') as string);
        if (!session) return error(404, 'no such upload session');
        // `bytes */N` asks where the upload stands; `bytes S-E/N` or `bytes S-*/*` (a stream whose end is the
        // end of this request) carries data from offset S.
        const range = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(
          String(req.headers['content-range'] ?? ''),
        );
        const id = q.get('upload_id') as string;
        if (range?.[1] !== undefined) {
          const offset = Number(range[1]);
          if (offset > session.received.length)
            return error(400, `offset ${offset} past ${session.received.length}`);
          session.received = Buffer.concat([session.received.subarray(0, offset), body]);
          const total = range[3];
          const complete =
            range[2] === '*' ||
            (total !== undefined && total !== '*' && session.received.length === Number(total));
          if (complete) {
            sessions.delete(id);
            return store(session.name, session.meta, session.query, session.received);
          }
        } else if (!range && body.length > 0) {
          sessions.delete(id);
          return store(session.name, session.meta, session.query, body);
        }
        const headers: Record<string, string> =
          session.received.length > 0 ? { range: `bytes=0-${session.received.length - 1}` } : {};
        return send(308, undefined, headers);
      }
      const name = info.object;
      if (name === null && info.method === 'GET') return list(q);
      if (name === null) return error(400, 'no object');
      const object = bucket.get(name);
      if (info.method === 'DELETE') {
        if (!object) return error(404, `No such object: ${name}`);
        const want = q.get('ifGenerationMatch');
        if (want !== null && String(object.generation) !== want) return error(412, 'precondition failed');
        bucket.delete(name);
        return send(204);
      }
      if (info.method === 'GET') {
        if (!object) return error(404, `No such object: ${name}`);
        const generation = q.get('generation');
        if (generation !== null && generation !== String(object.generation)) {
          return error(404, `No such object: ${name}#${generation}`);
        }
        if (q.get('alt') !== 'media') return send(200, metaOf(name, object));
        let bytes = object.bytes;
        if (takeFault('corrupt-download', info) && bytes.length > 0) {
          bytes = Buffer.from(bytes);
          bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
        }
        return send(200, bytes, {
          'content-type': object.contentType,
          'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5}`,
          'x-goog-generation': String(object.generation),
          'x-goog-metageneration': String(object.metageneration),
          'x-goog-stored-content-encoding': 'identity',
        });
      }
      return error(405, `${info.method} not supported`);
    }

    function list(q: URLSearchParams): void {
      const prefix = q.get('prefix') ?? '';
      const delimiter = q.get('delimiter');
      const max = Number(q.get('maxResults') ?? '1000');
      const names = [...bucket.keys()].filter((n) => n.startsWith(prefix)).sort();
      const items: string[] = [];
      const prefixes = new Set<string>();
      for (const n of names) {
        const rest = n.slice(prefix.length);
        const cut = delimiter ? rest.indexOf(delimiter) : -1;
        if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + 1));
        else items.push(n);
      }
      // One page holds `max` entries of objects and prefixes together, ordered by name, as GCS pages them.
      const all = [
        ...items.map((n) => ({ n, object: true })),
        ...[...prefixes].map((n) => ({ n, object: false })),
      ].sort((a, b) => (a.n < b.n ? -1 : 1));
      const start = Number(q.get('pageToken') ?? '0');
      const page = all.slice(start, start + max);
      const next = start + max < all.length ? String(start + max) : undefined;
      send(200, {
        kind: 'storage#objects',
        items: page.filter((e) => e.object).map((e) => metaOf(e.n, bucket.get(e.n) as FakeObject)),
        prefixes: page.filter((e) => !e.object).map((e) => e.n),
        ...(next ? { nextPageToken: next } : {}),
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    objects: bucketOf,
    failNext(times, status = 500, match = any) {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'status', status, match });
    },
    cutNextUpload: (match = any) => void faults.push({ kind: 'cut', match }),
    corruptNextUpload: (match = any) => void faults.push({ kind: 'corrupt-upload', match }),
    corruptNextDownload: (match = any) => void faults.push({ kind: 'corrupt-download', match }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The parts' bodies of a multipart/related payload. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // The part's body runs from after its headers to the CRLF before the next delimiter.
    parts.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return parts;
}
