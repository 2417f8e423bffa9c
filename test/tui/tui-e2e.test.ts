/**
 * End to end: the real `recsys tui` in an 80x24 tmux pane on ml-100k. A train-and-promote ALS run ends on the
 * results table with the evaluator's NDCG@10 for the same settings; a second run, cancelled with `q` while
 * it fits, leaves no artifact and no staging folder, and the app then quits with exit code 0. During that
 * fit a key (`v`, chart <-> epochs table) is answered on screen within 300 ms: training runs in a child
 * process, so the UI thread stays free.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ML100K = path.resolve(ROOT, '../shared/movielens/ml-100k');
const SOCKET = `recsys-tui-test-${process.pid}`;
const SESSION = 'tui';

let dir = '';
const env = (): Record<string, string> => ({
  MOVIELENS_DIR: ML100K,
  RECSYS_DATA_DIR: path.join(dir, 'data'),
  RECSYS_ARTIFACTS: path.join(dir, 'artifacts'),
  // One thread per fit: the machine has two cores and other tests may run beside this one.
  RECSYS_WORKERS: '1',
  LOG_LEVEL: 'warn',
  // Ink renders only the last frame when it thinks it runs in CI (is-in-ci reads CI=true, which .ci/run
  // sets): the pane would stay blank until exit. A person at a terminal has no CI variable.
  CI: 'false',
});

const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const press = (...keys: string[]): void => void tmux('send-keys', '-t', SESSION, ...keys);

/** Polls the pane until `predicate` holds; throws with the last screen after `ms`. */
async function waitFor(predicate: (text: string) => boolean, ms: number, what: string): Promise<string> {
  const until = Date.now() + ms;
  let text = '';
  while (Date.now() < until) {
    text = screen();
    if (predicate(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
}

/** Every entry under a folder, hidden ones included (staging folders are `.staging-*`). */
function walk(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return [full, ...(entry.isDirectory() ? walk(full) : [])];
  });
}

/** Milliseconds from pressing `key` until the pane satisfies `predicate`, polling as fast as tmux answers. */
async function latency(key: string, predicate: (text: string) => boolean): Promise<number> {
  const started = performance.now();
  press(key);
  for (;;) {
    if (predicate(screen())) return performance.now() - started;
    if (performance.now() - started > 5000) throw new Error(`no answer to '${key}':\n${screen()}`);
  }
}

describe('recsys tui (tmux, 80x24)', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recsys-tui-'));
  });
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start without a terminal, with the usage exit code', () => {
    const result = spawnSync(process.execPath, ['bin/recsys.js', 'tui'], {
      cwd: ROOT,
      env: { ...process.env, ...env() },
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(result.stderr).toContain('error [VALIDATION]: tui: needs an interactive terminal');
    expect(result.status).toBe(64);
  });

  it('trains ALS to the evaluator figure, then cancels a second run cleanly and quits with 0', async () => {
    // The evaluator's figure for the same settings, computed beside the TUI run.
    const evaluator = new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          'bin/recsys.js',
          'evaluate',
          '--dataset',
          'ml-100k',
          '--models',
          'als',
          '--param',
          'als.iterations=3',
          '--json',
        ],
        { cwd: ROOT, env: { ...process.env, ...env(), RECSYS_DATA_DIR: path.join(dir, 'data-eval') } },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('close', (code) =>
        code === 0
          ? resolve(JSON.parse(out).models.als['ndcg@10'] as number)
          : reject(new Error(`evaluate ${code}`)),
      );
    });

    const rcFile = path.join(dir, 'rc');
    const vars = Object.entries(env())
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '80',
      '-y',
      '24',
      `cd '${ROOT}' && env ${vars} node bin/recsys.js tui 2>'${dir}/stderr'; echo $? > '${rcFile}'`,
    );

    // Setup: the local dataset with its counts, ALS first in the registry.
    await waitFor(
      (s) => s.includes('100,000 ratings · 943 users · 1,682 movies'),
      // The first start converts ml-100k to Parquet; on a loaded 2-core machine that took over 90 s.
      180_000,
      'the dataset counts',
    );
    expect(screen()).toContain('‹ als ›');
    press('Down');
    press('Down');
    await waitFor((s) => s.includes('› Mode'), 5000, 'focus on mode');
    press('Right');
    await waitFor((s) => s.includes('‹ train-and-promote ›'), 5000, 'train-and-promote');
    for (let i = 0; i < 5; i++) press('Down');
    await waitFor((s) => /› +iterations +20/.test(s), 5000, 'focus on iterations');
    press('BSpace');
    press('BSpace');
    press('3');
    await waitFor((s) => /› +iterations +3 /.test(s), 5000, 'iterations 3');
    press('Enter');
    await waitFor((s) => s.includes('recsys tui · run'), 10_000, 'the run screen');

    // Results: the run's metrics, which must be the evaluator's for the same settings.
    const results = await waitFor((s) => s.includes('▶ als (this run)'), 150_000, 'the results table');
    const row = results.split('\n').find((l) => l.includes('▶ als (this run)')) ?? '';
    const cells = row.match(/\d\.\d{4}/g) ?? [];
    expect(cells).toHaveLength(7); // P, R, MAP, NDCG, MRR, HR, coverage
    const ndcg = Number(cells[3]);
    expect(ndcg).toBeGreaterThan(0.05);
    expect(Math.abs(ndcg - (await evaluator))).toBeLessThan(1e-4);
    expect(results).toContain('p promote to current · k keep · d discard');
    press('k');
    await waitFor((s) => s.includes('kept: als/'), 5000, 'keep');
    const kept = walk(path.join(dir, 'artifacts'));
    expect(kept.filter((p) => path.basename(p) === 'manifest.json')).toHaveLength(1);

    // A second run with many iterations, cancelled while it fits.
    press('n');
    await waitFor((s) => s.includes('recsys tui · setup'), 5000, 'the setup screen again');
    await waitFor((s) => /iterations +3 /.test(s), 5000, 'the previous settings');
    for (let i = 0; i < 7; i++) press('Down');
    await waitFor((s) => /› +iterations/.test(s), 5000, 'focus on iterations');
    press('BSpace');
    press('2', '0', '0');
    await waitFor((s) => /› +iterations +200 /.test(s), 5000, 'iterations 200');
    press('Enter');
    await waitFor((s) => /iteration \d+\/200/.test(s), 90_000, 'the fit to start');

    // Keys answer while the model trains: `v` switches chart and epochs table.
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const toTable = i % 2 === 0;
      waits.push(
        await latency('v', (s) =>
          toTable ? /iter\s+loss\s+seconds/.test(s) : s.includes('loss per iteration'),
        ),
      );
    }
    waits.sort((a, b) => a - b);
    expect(waits[1]).toBeLessThan(300); // the median of four (tmux round trips included)

    press('q');
    await waitFor(
      (s) => s.includes('Cancelled: training stopped, nothing saved'),
      60_000,
      'the cancellation',
    );
    const after = walk(path.join(dir, 'artifacts'));
    expect(after).toEqual(kept);
    expect(after.some((p) => path.basename(p).startsWith('.staging'))).toBe(false);

    press('q');
    const until = Date.now() + 20_000;
    while (!fs.existsSync(rcFile) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(fs.readFileSync(rcFile, 'utf8').trim()).toBe('0');
    // No training process outlives the app.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes(dir) && /recsys\.js (train|tui)/.test(l))).toEqual([]);
    console.log(`tui e2e: ndcg@10 ${ndcg}, key answers in ${waits.map((w) => w.toFixed(0)).join(', ')} ms`);
  }, 420_000);
});
