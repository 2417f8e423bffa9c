import { describe, expect, it } from 'vitest';
import { brailleChart, formatDuration, progressBar } from '../../src/tui/chart.js';
import { commandArgs, commandLine, runArgs, type RunSetup } from '../../src/tui/commands.js';
import { etaSeconds, initialRunState, parseRunLine, reduceRun } from '../../src/tui/run-state.js';

describe('text charts', () => {
  it('draws a falling series from the top-left to the bottom-right, labelled with max and min', () => {
    const lines = brailleChart([4, 3, 2, 1], { width: 16, height: 3 });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^4\.000│/);
    expect(lines[2]).toMatch(/^1\.000│/);
    const plot = lines.map((l) => l.slice(l.indexOf('│') + 1));
    expect(plot.every((row) => row.length === 16 - 6)).toBe(true);
    // Dot 1 (top-left of a cell) in the first cell of the first row; dot 8 (bottom-right) last on the last row.
    expect((plot[0]?.codePointAt(0) ?? 0) & 0x01).toBe(0x01);
    const last = plot[2]?.trimEnd() ?? '';
    expect((last.codePointAt(last.length - 1) ?? 0) & 0x80).toBe(0x80);
    expect(brailleChart([], { width: 10, height: 2 }).join('')).not.toMatch(/[⠁-⣿]/u);
  });

  it('fills a progress bar by eighths and formats durations', () => {
    expect(progressBar(0.5, 10)).toBe('█████░░░░░');
    expect(progressBar(0.55, 10)).toBe('█████▌░░░░');
    expect(progressBar(2, 4)).toBe('████');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });
});

describe('run state', () => {
  it('parses --progress-json lines, ignores others, and estimates the time left', () => {
    expect(parseRunLine('tf backend chosen backend=wasm')).toBeNull();
    expect(parseRunLine('{"type":"epoch","iteration":"x"}')).toBeNull();
    let state = initialRunState(0);
    for (const iteration of [1, 2]) {
      const line = parseRunLine(
        JSON.stringify({
          type: 'epoch',
          stage: 'evaluate',
          iteration,
          iterations: 4,
          loss: 1 / iteration,
          seconds: 3,
        }),
      );
      expect(line).not.toBeNull();
      state = reduceRun(state, { type: 'line', line: line! }, 0);
    }
    expect(state.status).toBe('running');
    // Two evaluation iterations left and a final fit of 4, at 3 s each.
    expect(etaSeconds(state, 4, 0)).toBe(18);
    // A new fit of the same stage starts its own series.
    state = reduceRun(
      state,
      {
        type: 'line',
        line: parseRunLine('{"type":"epoch","stage":"fit","iteration":1,"iterations":4,"seconds":1}')!,
      },
      0,
    );
    state = reduceRun(
      state,
      { type: 'exit', code: 1, stderr: 'warn\nerror [VALIDATION]: als.factors: bad\n' },
      5,
    );
    expect(state).toMatchObject({
      status: 'failed',
      error: 'error [VALIDATION]: als.factors: bad',
      endedAt: 5,
    });
  });
});

describe('commands', () => {
  const setup: RunSetup = {
    mode: 'train-and-promote',
    dataset: 'ml-100k',
    model: 'itemknn',
    hyperparameters: { bm25K1: 1.5, weighting: 'bm25' },
    k: 10,
    trials: 8,
    from: '/data/ml-100k',
    dataDir: 'data',
  };
  it('maps each mode to the CLI command that does the same', () => {
    expect(commandLine(commandArgs(setup))).toBe(
      'recsys train --model itemknn --dataset ml-100k --evaluate --k 10 --no-promote --bm25-k1 1.5 --weighting bm25',
    );
    expect(commandArgs({ ...setup, mode: 'evaluate' })).toEqual([
      'evaluate',
      '--dataset',
      'ml-100k',
      '--models',
      'itemknn',
      '--k',
      '10',
      '--param',
      'itemknn.bm25K1=1.5',
      '--param',
      'itemknn.weighting=bm25',
    ]);
    expect(commandArgs({ ...setup, mode: 'tune' }).slice(0, 7)).toEqual([
      'tune',
      '--model',
      'itemknn',
      '--dataset',
      'ml-100k',
      '--trials',
      '8',
    ]);
    expect(runArgs(setup).slice(-5)).toEqual([
      '--data-dir',
      'data',
      '--from',
      '/data/ml-100k',
      '--progress-json',
    ]);
  });
});
