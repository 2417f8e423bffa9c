import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore, removeStaleStaging, UNOWNED_STAGING_STALE_MS } from '../../src/storage/local.js';

/**
 * A save killed mid-way leaves its `.staging-*` folder under the artifacts root. The next save in that folder
 * and `recsys artifacts list` remove it, never the folder of a save that is still running. Real processes,
 * really SIGKILLed, on real files.
 */

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-staging-'));
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/**
 * A child process that stages `als/<version>` in the store at `root`, writes a file into it and then waits
 * (as a save does between its files); resolves with the child and its staging folder.
 */
async function startSave(
  version: string,
): Promise<{ kill: () => Promise<void>; staging: string; pid: number }> {
  const script = path.join(root, `save-${version}.mts`);
  await fs.writeFile(
    script,
    `import { createLocalStore } from ${JSON.stringify(path.resolve('src/storage/local.ts'))};
const staged = await createLocalStore(${JSON.stringify(root)}).stage('als/${version}');
await staged.write('model.json', new TextEncoder().encode('{}'));
process.stdout.write('staged\\n');
setInterval(() => undefined, 1000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('staged')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`the save exited early:\n${output}`)));
  });
  const stagings = (await fs.readdir(path.join(root, 'als'))).filter((n) =>
    n.startsWith(`.staging-${version}-${child.pid}-`),
  );
  expect(stagings).toHaveLength(1);
  return {
    pid: child.pid as number,
    staging: stagings[0] as string,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function artifactsList(): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, RECSYS_ARTIFACTS: root, LOG_LEVEL: 'warn' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/recsys.js', 'artifacts', 'list'], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('staging folders left by a killed save', () => {
  it('the next save removes the folder of a SIGKILLed save, and leaves the one of a save still running', async () => {
    const killed = await startSave('20261202T060000000Z-0000aaaa');
    const running = await startSave('20261202T060000001Z-0000bbbb');
    try {
      await killed.kill();
      const store = createLocalStore(root);
      const next = await store.stage('als/20261202T060000002Z-0000cccc');
      await next.write('model.json', new TextEncoder().encode('{}'));
      const left = await fs.readdir(path.join(root, 'als'));
      expect(left).not.toContain(killed.staging);
      expect(left).toContain(running.staging);
      await next.publish();
      expect(await store.list('als')).toEqual(['20261202T060000002Z-0000cccc']);
      expect((await fs.readdir(path.join(root, 'als'))).sort()).toEqual(
        ['20261202T060000002Z-0000cccc', running.staging].sort(),
      );
    } finally {
      await running.kill();
    }
  });

  it('recsys artifacts list removes it too', async () => {
    const killed = await startSave('20261202T060000000Z-0000aaaa');
    await killed.kill();
    expect(await fs.readdir(path.join(root, 'als'))).toEqual([killed.staging]);
    const run = await artifactsList();
    expect(run.code, run.stderr).toBe(0);
    expect(await fs.readdir(path.join(root, 'als'))).toEqual([]);
  });

  it('folders whose owner cannot be checked go only after an hour untouched; a dead namesake of this pid goes', async () => {
    const als = path.join(root, 'als');
    const make = async (name: string, ageMs = 0): Promise<void> => {
      await fs.mkdir(path.join(als, name), { recursive: true });
      await fs.writeFile(path.join(als, name, 'model.json'), '{}');
      const at = new Date(Date.now() - ageMs);
      await fs.utimes(path.join(als, name), at, at);
    };
    const old = UNOWNED_STAGING_STALE_MS + 60_000;
    await make('.staging-v1-AbC123'); // no pid: written before pids were recorded
    await make('.staging-v2-XyZ789', old);
    await make(`.staging-v3-${process.ppid}-00000000-AbC123`, old - 120_000); // another host, recent
    await make(`.staging-v4-${process.ppid}-00000000-AbC123`, old); // another host, an hour old
    await make(`.staging-v5-${process.pid}-${HOST_TAG}-AbC123`); // this pid, not staged by this process
    await make(`.staging-v6-${process.ppid}-${HOST_TAG}-AbC123`, old); // a live process here: never
    await make('v7'); // not a staging folder at all
    expect((await removeStaleStaging(als)).sort()).toEqual([
      '.staging-v2-XyZ789',
      `.staging-v4-${process.ppid}-00000000-AbC123`,
      `.staging-v5-${process.pid}-${HOST_TAG}-AbC123`,
    ]);
    expect((await fs.readdir(als)).sort()).toEqual(
      [
        '.staging-v1-AbC123',
        `.staging-v3-${process.ppid}-00000000-AbC123`,
        `.staging-v6-${process.ppid}-${HOST_TAG}-AbC123`,
        'v7',
      ].sort(),
    );
    expect(await removeStaleStaging(path.join(root, 'missing'))).toEqual([]);
  });

  it('never removes a folder this process is staging into', async () => {
    const store = createLocalStore(root);
    const first = await store.stage('als/v1');
    await first.write('model.json', new TextEncoder().encode('{}'));
    const second = await store.stage('als/v2');
    expect(await removeStaleStaging(path.join(root, 'als'))).toEqual([]);
    await first.publish();
    await second.abort();
    expect(await fs.readdir(path.join(root, 'als'))).toEqual(['v1']);
  });
});
