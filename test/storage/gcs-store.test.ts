import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ArtifactIntegrityError, NotFoundError } from '../../src/core/errors.js';
import { createGcsStore, parseGsUri } from '../../src/storage/gcs.js';
import { createStore } from '../../src/storage/store.js';
import type { ArtifactStore } from '../../src/storage/types.js';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

let gcs: FakeGcs;
let counter = 0;
/** A store on a fresh prefix of the fake, with retries a few ms apart. */
function freshStore(options: { resumableThreshold?: number } = {}): ArtifactStore {
  counter += 1;
  return createGcsStore(`gs://recsys-test/run${counter}`, {
    endpoint: gcs.endpoint,
    projectId: 'test',
    maxRetryDelaySeconds: 1,
    ...options,
  });
}
const uploads = (object: string): number[] =>
  gcs.log.filter((e) => e.object === object && e.path.endsWith('/o')).map((e) => e.status);

beforeAll(async () => {
  gcs = await startFakeGcs();
});
afterAll(async () => {
  await gcs.close();
});

describe('GCS store against the in-process fake of the JSON API', () => {
  it('parses gs:// URIs and is what createStore opens for them', () => {
    expect(parseGsUri('gs://recsys-artifacts/prod/a/')).toEqual({
      bucket: 'recsys-artifacts',
      prefix: 'prod/a',
    });
    expect(parseGsUri('gs://recsys-artifacts')).toEqual({ bucket: 'recsys-artifacts', prefix: '' });
    expect(() => parseGsUri('gs:///x')).toThrow(/gs:\/\/<bucket>/);
    const store = createStore('gs://b-1/p', { gcs: { endpoint: gcs.endpoint } });
    expect(store.uri).toBe('gs://b-1/p');
    expect(store.localPath('x')).toBeNull();
  });

  it('writes, reads, lists, checks and deletes objects with folder semantics', async () => {
    const store = freshStore();
    await store.write('als/v1/model.json', bytes('{"a":1}'));
    await store.write('als/v1/weights.bin', new Uint8Array([1, 2, 3]));
    await store.write('als/v2/model.json', bytes('{}'));
    await store.write('itemknn/v1/model.json', bytes('{}'));
    expect(text(await store.read('als/v1/model.json'))).toBe('{"a":1}');
    expect([...(await store.read('als/v1/weights.bin'))]).toEqual([1, 2, 3]);
    expect(await store.list('')).toEqual(['als', 'itemknn']);
    expect(await store.list('als')).toEqual(['v1', 'v2']);
    expect(await store.list('als/v1')).toEqual(['model.json', 'weights.bin']);
    expect(await store.list('nothing')).toEqual([]);
    expect(await store.exists('als/v1')).toBe(true);
    expect(await store.exists('als/v1/model.json')).toBe(true);
    expect(await store.exists('als/v3')).toBe(false);
    await expect(store.read('als/v3/model.json')).rejects.toBeInstanceOf(NotFoundError);
    await store.write('als/v1/model.json', bytes('{"a":2}'));
    expect(text(await store.read('als/v1/model.json'))).toBe('{"a":2}');
    await store.delete('als/v1');
    expect(await store.list('als')).toEqual(['v2']);
    // Every stored object carries the hashes the client sent and GCS computed.
    const stored = gcs.objects('recsys-test').get(`run${counter}/als/v2/model.json`);
    expect(stored?.md5).toMatch(/==$/);
  });

  it('stages a version under its final prefix, refuses an existing one and aborts cleanly', async () => {
    const store = freshStore();
    const staged = await store.stage('als/v1');
    await staged.write('model.json', bytes('{}'));
    await staged.write('manifest.json', bytes('{}'));
    await staged.publish();
    expect(await store.list('als/v1')).toEqual(['manifest.json', 'model.json']);
    const again = await store.stage('als/v1');
    await expect(again.write('model.json', bytes('x'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(again.publish()).rejects.toMatchObject({ code: 'CONFLICT' });
    const dropped = await store.stage('als/v2');
    await dropped.write('model.json', bytes('{}'));
    await dropped.abort();
    expect(await store.exists('als/v2')).toBe(false);
  });

  it('moves a pointer only from the generation it read: two concurrent promotes, exactly one wins', async () => {
    const store = freshStore();
    expect(await store.readPointer('als/current')).toBeNull();
    await store.writePointer('als/current', 'v1');
    const uri = store.uri;
    const trainerA = createGcsStore(uri, { endpoint: gcs.endpoint, maxRetryDelaySeconds: 1 });
    const trainerB = createGcsStore(uri, { endpoint: gcs.endpoint, maxRetryDelaySeconds: 1 });
    expect(await trainerA.readPointer('als/current')).toBe('v1');
    expect(await trainerB.readPointer('als/current')).toBe('v1');
    const results = await Promise.allSettled([
      trainerA.writePointer('als/current', 'vA'),
      trainerB.writePointer('als/current', 'vB'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(AppError);
    expect((lost[0]?.reason as AppError).code).toBe('CONFLICT');
    const winner = results[0]?.status === 'fulfilled' ? 'vA' : 'vB';
    expect(await store.readPointer('als/current')).toBe(winner);
    // The loser reads again and may then promote (the gate decides whether it should).
    const loser = winner === 'vA' ? trainerB : trainerA;
    expect(await loser.readPointer('als/current')).toBe(winner);
    await loser.writePointer('als/current', 'v3');
    expect(await store.readPointer('als/current')).toBe('v3');
  });

  it('polls a pointer with one metadata request while it is unchanged, and sees a new value at once', async () => {
    const store = freshStore();
    const name = `run${counter}/als/current`;
    await store.writePointer('als/current', 'v1');
    const watcher = createGcsStore(store.uri, { endpoint: gcs.endpoint });
    expect(await watcher.readPointer('als/current')).toBe('v1');
    const before = gcs.log.length;
    expect(await watcher.readPointer('als/current')).toBe('v1');
    expect(await watcher.readPointer('als/current')).toBe('v1');
    const polls = gcs.log.slice(before).filter((e) => e.object === name);
    expect(polls.map((e) => e.status)).toEqual([200, 200]);
    expect(polls.some((e) => e.query.includes('alt=media'))).toBe(false);
    await store.writePointer('als/current', 'v2');
    expect(await watcher.readPointer('als/current')).toBe('v2');
  });

  it('retries 500s and a cut upload, and finishes with the right bytes', async () => {
    const store = freshStore();
    const name = `run${counter}/a/b.bin`;
    const payload = new Uint8Array(4096).map((_, i) => i % 251);
    gcs.failNext(2, 500, (r) => r.object === name && r.upload);
    await store.write('a/b.bin', payload);
    expect(uploads(name)).toEqual([500, 500, 200]);
    gcs.cutNextUpload((r) => r.object === name);
    await store.write(
      'a/b.bin',
      payload.map((v) => 255 - v),
    );
    expect(uploads(name).slice(3)).toEqual([0, 200]);
    expect([...(await store.read('a/b.bin'))]).toEqual([...payload.map((v) => 255 - v)]);
    gcs.failNext(1, 503, (r) => r.object === name && !r.upload && r.query.get('alt') === 'media');
    expect((await store.read('a/b.bin')).length).toBe(4096);
  });

  it('resumes a cut resumable upload (large files)', async () => {
    const store = freshStore({ resumableThreshold: 1024 });
    const name = `run${counter}/big.bin`;
    const payload = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 256);
    const before = gcs.log.length;
    gcs.cutNextUpload();
    await store.write('big.bin', payload);
    expect([...(await store.read('big.bin'))]).toEqual([...payload]);
    // Started a session, the PUT was cut, the client asked where it stood (308) and sent the rest.
    const puts = gcs.log.slice(before).filter((e) => e.method === 'PUT');
    expect(puts.map((e) => e.status)).toEqual([0, 308, 200]);
    // The last PUT carried only what the session did not have yet: the upload resumed, it did not restart.
    const cutBytes = puts[0]?.bytes ?? 0;
    expect(cutBytes).toBeGreaterThan(0);
    expect(puts[2]?.bytes).toBe(payload.length - cutBytes);
    expect(gcs.objects('recsys-test').get(name)?.bytes.length).toBe(payload.length);
  });

  it('refuses a damaged upload or download (hash mismatch), after one more try', async () => {
    const store = freshStore();
    const name = `run${counter}/m.json`;
    gcs.corruptNextUpload((r) => r.object === name);
    await store.write('m.json', bytes('{"ok":true}'));
    expect(uploads(name)).toEqual([400, 200]);
    expect(text(await store.read('m.json'))).toBe('{"ok":true}');

    gcs.corruptNextUpload((r) => r.object === `run${counter}/n.json`);
    gcs.corruptNextUpload((r) => r.object === `run${counter}/n.json`);
    await expect(store.write('n.json', bytes('{"ok":1}'))).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(await store.exists('n.json')).toBe(false);

    gcs.corruptNextDownload((r) => r.object === name);
    expect(text(await store.read('m.json'))).toBe('{"ok":true}');
    gcs.corruptNextDownload((r) => r.object === name);
    gcs.corruptNextDownload((r) => r.object === name);
    await expect(store.read('m.json')).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });
});
