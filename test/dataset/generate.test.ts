import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerGenerate } from '../../src/cli/generate.js';
import { ValidationError } from '../../src/core/errors.js';
import { CATALOG } from '../../src/data/catalog.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import { generateSyntheticDataset } from '../../src/dataset/synthetic.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-generate-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));

async function generate(args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerGenerate(program);
  await program.parseAsync(['generate', ...args], { from: 'user' });
}

const SIZE = { users: 120, items: 90, interactions: 4000, seed: 5 };
const sizeArgs = ['--users', '120', '--items', '90', '--interactions', '4000', '--seed', '5'];

describe('recsys generate', () => {
  it.each([
    ['ml-100k', 'ml-100k', [], 'stars', true],
    ['dat', 'ml-1m', [], 'stars', true],
    ['dat', 'ml-10m', ['--half-stars', '--no-with-users'], 'half-stars', false],
    ['csv', 'ml-latest-small', ['--half-stars', '--crlf'], 'half-stars', false],
  ] as const)(
    'writes the %s layout that the %s reader reads back exactly',
    async (format, release, extra, ratingScale, withUsers) => {
      const dir = path.join(root, `${format}-${release}`);
      await generate([...sizeArgs, '--format', format, '--out', dir, ...extra]);
      const expected = generateSyntheticDataset({ ...SIZE, ratingScale, withUsers }).tables;
      const { tables } = await readSourceDataset(CATALOG[release], dir);
      expect(tables.ratings.length).toBe(4000);
      expect(tables.ratings.userId).toEqual(expected.ratings.userId);
      expect(tables.ratings.movieId).toEqual(expected.ratings.movieId);
      expect(tables.ratings.rating).toEqual(expected.ratings.rating);
      expect(tables.ratings.timestamp).toEqual(expected.ratings.timestamp);
      expect(tables.movies).toEqual(expected.movies);
      if (withUsers) expect(tables.users).toEqual(expected.users);
    },
  );

  it('refuses half stars in the ml-100k layout and bad sizes, naming the flag, and writes nothing', async () => {
    const dir = path.join(root, 'refused');
    await expect(
      generate([...sizeArgs, '--format', 'ml-100k', '--half-stars', '--out', dir]),
    ).rejects.toThrow(/^--half-stars: /);
    await expect(
      generate(['--users', '0', '--items', '9', '--interactions', '9', '--out', dir]),
    ).rejects.toThrow(ValidationError);
    await expect(
      generate(['--users', '10', '--items', '9', '--interactions', '5', '--out', dir]),
    ).rejects.toThrow(/^interactions: /);
    await expect(fs.stat(dir)).rejects.toThrow(/ENOENT/);
  });
});
