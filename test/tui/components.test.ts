import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getModelFactory, REGISTERED_KINDS } from '../../src/models/registry.js';
import type { ModelFactory } from '../../src/models/types.js';
import type { RunSetup } from '../../src/tui/commands.js';
import type { DatasetChoice } from '../../src/tui/datasets.js';
import { ResultsScreen } from '../../src/tui/results-screen.js';
import { initialRunState, reduceRun, type RunState } from '../../src/tui/run-state.js';
import { RunScreen } from '../../src/tui/run-screen.js';
import { formFields, validateForm } from '../../src/tui/schema-form.js';
import { SetupScreen } from '../../src/tui/setup-screen.js';

const DOWN = '\u001B[B';
const RIGHT = '\u001B[C';

/** Polls the last frame until `predicate` holds (Ink renders asynchronously). */
async function frameWhere(lastFrame: () => string | undefined, predicate: (frame: string) => boolean) {
  for (let i = 0; i < 200; i++) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`frame never matched:\n${lastFrame() ?? ''}`);
}

const ML100K: DatasetChoice = {
  name: 'ml-100k',
  description: '100,000 ratings',
  sizeNote: '4.9 MB',
  source: { kind: 'movielens-dir', dir: '/data/ml-100k' },
  counts: { ratings: 100_000, movies: 1682, users: 943 },
};

describe('schema form', () => {
  it('reads kinds, defaults and bounds from a zod object and refuses with the schema reason', () => {
    const schema = z
      .object({
        size: z.coerce.number().int().min(1).max(64).default(8),
        rate: z.coerce.number().positive().default(0.5),
        kind: z.enum(['a', 'b']).default('b'),
        on: z.boolean().default(true),
      })
      .strict();
    const fields = formFields(schema);
    expect(fields.map((f) => [f.name, f.kind, f.defaultText])).toEqual([
      ['size', 'integer', '8'],
      ['rate', 'number', '0.5'],
      ['kind', 'enum', 'b'],
      ['on', 'boolean', 'true'],
    ]);
    expect(fields[0]).toMatchObject({ min: 1, max: 64 });
    expect(validateForm(schema, fields, {})).toEqual({});
    const problems = validateForm(schema, fields, { size: '65', rate: 'x' });
    expect(problems.size).toBe(schema.shape.size.safeParse(65).error?.issues[0]?.message);
    expect(problems.rate).toMatch(/not a number/);
  });

  it('renders every registered model with its defaults and shows a refusal inline', async () => {
    const models = REGISTERED_KINDS.map((kind) => getModelFactory(kind));
    const started: RunSetup[] = [];
    const app = render(
      createElement(SetupScreen, {
        datasets: [ML100K],
        models,
        dataDir: 'data',
        width: 80,
        height: 24,
        onStart: (setup: RunSetup) => started.push(setup),
        onQuit: () => undefined,
      }),
    );
    const als = getModelFactory('als');
    let frame = await frameWhere(app.lastFrame, (f) => f.includes('factors'));
    expect(frame).toContain('100,000 ratings · 943 users · 1,682 movies');
    for (const [name, value] of Object.entries(als.defaults)) {
      expect(frame).toMatch(new RegExp(`${name}\\s+(‹ )?${String(value).replace('.', '\\.')}`));
    }
    // Every kind of the registry is offered: cycle the model row through all of them. (A key sent before the
    // screen's input hook is attached is lost, so the first one is retried until the focus moves.)
    for (let i = 0; i < 20 && !/› Model/.test(app.lastFrame() ?? ''); i++) {
      app.stdin.write(DOWN);
      await frameWhere(app.lastFrame, (f) => /› Model/.test(f)).catch(() => undefined);
    }
    const seen: string[] = [];
    for (const factory of models as ModelFactory[]) {
      await frameWhere(app.lastFrame, (f) => f.includes(`‹ ${factory.kind} ›`));
      seen.push(factory.kind);
      app.stdin.write(RIGHT);
    }
    expect(seen).toEqual(REGISTERED_KINDS);
    await frameWhere(app.lastFrame, (f) => f.includes('‹ als ›') && f.includes('factors'));
    // dataset, model, mode, k, factors: clear factors and type 0.
    app.stdin.write(DOWN);
    app.stdin.write(DOWN);
    app.stdin.write(DOWN);
    await frameWhere(app.lastFrame, (f) => /› {3}factors/.test(f));
    app.stdin.write('\u007F\u007F0');
    const reason = als.schema.shape.factors.safeParse(0).error.issues[0].message as string;
    frame = await frameWhere(app.lastFrame, (f) => f.includes(reason));
    expect(frame).toMatch(/factors\s+0\s+✗/);
    app.stdin.write('\r');
    await frameWhere(app.lastFrame, (f) => f.includes('fix factors first'));
    expect(started).toEqual([]);
    // A valid value clears the refusal and Enter starts with only the changed hyperparameter.
    app.stdin.write('\u007F32');
    await frameWhere(app.lastFrame, (f) => !f.includes('✗'));
    app.stdin.write('\r');
    await frameWhere(app.lastFrame, () => started.length > 0);
    expect(started[0]).toMatchObject({
      mode: 'evaluate',
      dataset: 'ml-100k',
      model: 'als',
      hyperparameters: { factors: 32 },
    });
    app.unmount();
  });
});

const SETUP: RunSetup = {
  mode: 'train-and-promote',
  dataset: 'ml-100k',
  model: 'als',
  hyperparameters: { iterations: 5 },
  k: 10,
  trials: 8,
  from: null,
  dataDir: 'data',
};

describe('run screen', () => {
  it('draws progress, ETA and the loss chart from a scripted sequence of epoch reports', async () => {
    let state: RunState = initialRunState(0);
    const feed = (line: Parameters<typeof reduceRun>[1]) => (state = reduceRun(state, line, 1000));
    feed({ type: 'line', line: { type: 'start', backend: 'wasm', workers: 2, rss: 300 * 2 ** 20 } });
    const losses = [0.02, 0.015, 0.012];
    for (const [i, loss] of losses.entries()) {
      feed({
        type: 'line',
        line: {
          type: 'epoch',
          stage: 'fit',
          iteration: i + 1,
          iterations: 5,
          loss,
          seconds: 2,
          metrics: { val_ndcg: 0.1 + i / 100 },
        },
      });
    }
    const props = {
      state,
      setup: SETUP,
      finalIterations: 5,
      view: 'chart' as const,
      now: 1000,
      uiRss: 0,
      width: 80,
      height: 24,
    };
    const app = render(createElement(RunScreen, props));
    const frame = await frameWhere(app.lastFrame, (f) => f.includes('iteration 3/5'));
    expect(frame).toContain('final fit (all data) · iteration 3/5');
    expect(frame).toContain('60%');
    expect(frame).toContain('ETA 4s'); // 2 iterations left at 2 s each
    expect(frame).toContain('loss 0.012000');
    expect(frame).toContain('val_ndcg 0.12000');
    expect(frame).toContain('backend wasm · threads 2 · memory 300 MB trainer');
    // The loss chart: max and min labels, braille dots, and the validation metric's own chart.
    expect(frame).toMatch(/0\.02000│[⠀-⣿]/u);
    expect(frame).toMatch(/0\.01200│/);
    expect(frame).toContain('val_ndcg per iteration');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
    // The table view lists each epoch.
    app.rerender(createElement(RunScreen, { ...props, view: 'table' as const }));
    const table = await frameWhere(app.lastFrame, (f) => f.includes('seconds'));
    expect(table).toMatch(/3\s+0\.012000\s+2\.00\s+0\.12000/);
    // A cancelled run says so.
    feed({ type: 'cancel' });
    feed({ type: 'exit', code: 130, stderr: 'error [CANCELLED]: ALS training was cancelled' });
    app.rerender(createElement(RunScreen, { ...props, state }));
    const cancelled = await frameWhere(app.lastFrame, (f) => f.includes('Cancelled'));
    expect(cancelled).toContain('nothing saved (no artifact, no staging folder)');
    app.unmount();
  });
});

describe('results screen', () => {
  it('marks the best value of each column across this run and earlier ones', async () => {
    const m = (p: number, ndcg: number, cov: number) => ({
      'precision@10': p,
      'recall@10': 0.1,
      'map@10': 0.05,
      'ndcg@10': ndcg,
      'mrr@10': 0.2,
      'hitrate@10': 0.3,
      'coverage@10': cov,
    });
    const app = render(
      createElement(ResultsScreen, {
        title: 'recsys tui · results',
        subtitle: 'test metrics @10',
        rows: [
          { label: 'als (this run)', metrics: m(0.05, 0.11, 0.2), current: true },
          { label: 'itemknn 20261201T0900', metrics: m(0.06, 0.09, 0.4), current: false, promoted: true },
        ],
        k: 10,
        notes: ['artifact saved'],
        keys: 'p promote · k keep · d discard',
        commands: ['recsys train --model als --dataset ml-100k --evaluate'],
        width: 80,
        height: 24,
      }),
    );
    const frame = await frameWhere(app.lastFrame, (f) => f.includes('NDCG'));
    const lines = frame.split('\n');
    const thisRun = lines.find((l) => l.includes('als (this run)')) ?? '';
    const earlier = lines.find((l) => l.includes('itemknn')) ?? '';
    expect(thisRun).toMatch(/▶ als \(this run\)\s+0\.0500 \s+0\.1000\*\s+0\.0500\*\s+0\.1100\*/);
    expect(earlier).toMatch(/● itemknn \S+\s+0\.0600\*/);
    expect(earlier).toMatch(/0\.4000\*$/);
    expect(earlier).not.toMatch(/0\.0900\*/);
    expect(frame).toContain('$ recsys train --model als --dataset ml-100k --evaluate');
    app.unmount();
  });
});
