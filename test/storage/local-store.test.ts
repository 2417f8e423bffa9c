import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import { createLocalStore } from '../../src/storage/local.js';
import { createStore } from '../../src/storage/store.js';
import type { ArtifactStore } from '../../src/storage/types.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

let root: string;
let store: ArtifactStore;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-store-'));
  store = createLocalStore(root);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('local artifact store', () => {
  it('writes, reads, lists and deletes files by key', async () => {
    await store.write('als/v1/model.json', bytes('{"a":1}'));
    await store.write('als/v1/group1-shard1of1.bin', Uint8Array.of(0, 1, 2, 255));
    await store.write('popularity/v1/model.json', bytes('{}'));

    expect(text(await store.read('als/v1/model.json'))).toBe('{"a":1}');
    expect(Array.from(await store.read('als/v1/group1-shard1of1.bin'))).toEqual([0, 1, 2, 255]);
    expect(await fs.readFile(path.join(root, 'als', 'v1', 'model.json'), 'utf8')).toBe('{"a":1}');
    expect(await store.list('')).toEqual(['als', 'popularity']);
    expect(await store.list('als/v1')).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(await store.list('missing')).toEqual([]);
    expect(await store.exists('als/v1')).toBe(true);
    expect(await store.exists('als/v2')).toBe(false);

    await store.delete('als/v1');
    expect(await store.exists('als/v1/model.json')).toBe(false);
    expect(await store.list('als')).toEqual([]);
    await store.delete('als/never-there');
  });

  it('refuses to read what is not there with NotFoundError naming the key', async () => {
    await expect(store.read('als/v9/model.json')).rejects.toThrow(NotFoundError);
    await expect(store.read('als/v9/model.json')).rejects.toThrow(/als\/v9\/model\.json/);
  });

  it('rejects keys that escape the root, are absolute, empty-segmented or hidden', async () => {
    for (const key of ['../outside', 'als/../../x', '/etc/passwd', 'als//v1', '.staging-x/a', 'als/ v1']) {
      await expect(store.write(key, bytes('x')), key).rejects.toThrow(ValidationError);
    }
    await expect(store.delete('')).rejects.toThrow(ValidationError);
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('replaces a file atomically and leaves no temp file behind', async () => {
    await store.write('als/current', bytes('old'));
    await store.write('als/current', bytes('new'));
    expect(text(await store.read('als/current'))).toBe('new');
    expect(await fs.readdir(path.join(root, 'als'))).toEqual(['current']);
  });

  it('keeps a staged directory invisible until it is published, then shows it whole', async () => {
    const staged = await store.stage('als/20261125T101500123Z-0000abcd');
    await staged.write('model.json', bytes('{}'));
    await staged.write('sub/shard.bin', Uint8Array.of(7));
    expect(await store.exists('als/20261125T101500123Z-0000abcd')).toBe(false);
    expect(await store.list('als')).toEqual([]);
    // The staging folder is a hidden sibling on the same filesystem.
    const hidden = await fs.readdir(path.join(root, 'als'));
    expect(hidden).toHaveLength(1);
    expect(hidden[0]).toMatch(/^\.staging-20261125T101500123Z-0000abcd-/);

    await staged.publish();
    expect(await store.list('als')).toEqual(['20261125T101500123Z-0000abcd']);
    expect(await fs.readdir(path.join(root, 'als'))).toEqual(['20261125T101500123Z-0000abcd']);
    expect(Array.from(await store.read('als/20261125T101500123Z-0000abcd/sub/shard.bin'))).toEqual([7]);
    await expect(staged.write('late.bin', Uint8Array.of(1))).rejects.toThrow(AppError);
  });

  it('discards an aborted staged directory', async () => {
    const staged = await store.stage('als/v1');
    await staged.write('model.json', bytes('{}'));
    await staged.abort();
    expect(await fs.readdir(path.join(root, 'als'))).toEqual([]);
  });

  it('refuses to publish over an existing directory with a CONFLICT error and keeps the old one', async () => {
    await store.write('als/v1/model.json', bytes('first'));
    const staged = await store.stage('als/v1');
    await staged.write('model.json', bytes('second'));
    const error = await staged.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    await staged.abort();
    expect(text(await store.read('als/v1/model.json'))).toBe('first');
    expect(await fs.readdir(path.join(root, 'als'))).toEqual(['v1']);
  });

  it('reads and replaces pointers; a missing pointer reads as null', async () => {
    expect(await store.readPointer('als/current')).toBeNull();
    await store.writePointer('als/current', '20261125T101500123Z-0000abcd');
    expect(await fs.readFile(path.join(root, 'als', 'current'), 'utf8')).toBe(
      '20261125T101500123Z-0000abcd\n',
    );
    expect(await store.readPointer('als/current')).toBe('20261125T101500123Z-0000abcd');
    await store.writePointer('als/current', '20261126T000000000Z-ffff0000');
    expect(await store.readPointer('als/current')).toBe('20261126T000000000Z-ffff0000');
    expect(store.localPath('als/current')).toBe(path.join(root, 'als', 'current'));
  });
});

describe('createStore', () => {
  it('opens a local store for a path or a file:// URL', async () => {
    const viaPath = createStore(root);
    await viaPath.write('x/y', bytes('1'));
    const viaUrl = createStore(pathToFileURL(root).href);
    expect(viaUrl.uri).toBe(root);
    expect(text(await viaUrl.read('x/y'))).toBe('1');
  });

  it('opens the Google Cloud Storage store for gs:// (no request until used) and refuses a bad bucket', () => {
    expect(createStore('gs://recsys-artifacts/prod').uri).toBe('gs://recsys-artifacts/prod');
    expect(createStore('gs://recsys-artifacts').localPath('als/current')).toBeNull();
    expect(() => createStore('gs://x')).toThrow(ValidationError);
  });

  it('refuses unknown schemes and empty URIs naming the setting', () => {
    expect(() => createStore('s3://bucket/x')).toThrow(ValidationError);
    expect(() => createStore('s3://bucket/x')).toThrow(/artifactsUri/);
    expect(() => createStore('  ')).toThrow(ValidationError);
  });
});
