import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { apiTokenFile, resolveApiToken, type ResolvedToken } from '../../src/api/token.js';
import { tempDir } from './support.js';

/** A process that resolves the token (generate: true) for every data folder written to its stdin. */
interface Resolver {
  child: ChildProcess;
  ask(dir: string): Promise<ResolvedToken>;
}

const RESOLVER = `
import readline from 'node:readline';
import { resolveApiToken } from './src/api/token.ts';
process.stdout.write('ready\\n');
for await (const dir of readline.createInterface({ input: process.stdin })) {
  const resolved = await resolveApiToken({ configured: undefined, dataDir: dir, generate: true }).catch(
    (error) => ({ error: String(error) }),
  );
  process.stdout.write(JSON.stringify(resolved) + '\\n');
}
`;

async function startResolver(): Promise<Resolver> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RESOLVER], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  expect(await next()).toBe('ready');
  return {
    child,
    ask(dir) {
      const answer = next();
      child.stdin!.write(`${dir}\n`);
      return answer.then((line) => JSON.parse(line) as ResolvedToken);
    },
  };
}

describe('the write token file', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('is created with mode 0600, reused afterwards, and the environment wins over it', async () => {
    const { dir, remove } = await tempDir('token');
    cleanups.push(remove);
    const created = await resolveApiToken({ configured: undefined, dataDir: dir, generate: true });
    expect(created.source).toBe('generated');
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stat = await fs.stat(apiTokenFile(dir));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await fs.readFile(apiTokenFile(dir), 'utf8')).toBe(`${created.token}\n`);
    expect(await resolveApiToken({ configured: undefined, dataDir: dir, generate: true })).toEqual({
      token: created.token,
      source: 'file',
      file: apiTokenFile(dir),
    });
    expect(await resolveApiToken({ configured: 'from-env', dataDir: dir, generate: true })).toEqual({
      token: 'from-env',
      source: 'environment',
    });
    // Nothing but the token is left in the folder (no temp files).
    expect(await fs.readdir(dir)).toEqual(['api-token']);
  });

  it('never generates without being asked to', async () => {
    const { dir, remove } = await tempDir('token-none');
    cleanups.push(remove);
    expect(await resolveApiToken({ configured: undefined, dataDir: dir, generate: false })).toEqual({
      token: undefined,
      source: 'none',
    });
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('gives every one of several processes creating it at once the same token (none reads it half-written)', async () => {
    const resolvers = await Promise.all(Array.from({ length: 4 }, () => startResolver()));
    try {
      const { dir: root, remove } = await tempDir('token-race');
      cleanups.push(remove);
      for (let round = 0; round < 40; round++) {
        const dir = path.join(root, String(round));
        const answers = await Promise.all(resolvers.map((resolver) => resolver.ask(dir)));
        const tokens = new Set(answers.map((a) => a.token));
        expect(answers.filter((a) => a.token === undefined)).toEqual([]);
        expect(tokens.size).toBe(1);
        expect(answers.filter((a) => a.source === 'generated')).toHaveLength(1);
        expect(await fs.readFile(apiTokenFile(dir), 'utf8')).toBe(`${answers[0]?.token}\n`);
      }
    } finally {
      for (const resolver of resolvers) resolver.child.kill();
    }
  });
});
