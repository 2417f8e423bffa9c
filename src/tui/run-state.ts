/**
 * What the run screen shows, as a pure reducer over the events of a run: the JSON lines of the CLI's
 * `--progress-json` (see src/cli/progress-json.ts) plus the run's own start, cancel and exit. Tests feed it a
 * scripted sequence of epoch reports; the app feeds it the child process's lines.
 */
import { z } from 'zod';
import type { EpochReport } from '../models/types.js';

/** Which fit the epochs belong to: the evaluation's fit on the split's train side, or the final fit. */
export type Stage = 'evaluate' | 'fit';

const num = z.number();
const epochLine = z.object({
  type: z.literal('epoch'),
  stage: z.enum(['evaluate', 'fit']).default('fit'),
  iteration: num,
  iterations: num,
  loss: num.optional(),
  seconds: num,
  metrics: z.record(num).optional(),
  rss: num.optional(),
});
const progressLine = z.object({
  type: z.literal('progress'),
  phase: z.string(),
  done: num,
  total: num.optional(),
  unit: z.string().optional(),
  detail: z.string().optional(),
  rss: num.optional(),
});
const startLine = z.object({
  type: z.literal('start'),
  backend: z.string(),
  workers: num.optional(),
  rss: num.optional(),
});
const trialLine = z.object({
  type: z.literal('trial'),
  trial: num,
  hyperparameters: z.record(z.union([num, z.string(), z.boolean()])),
  validation: z.record(num),
  validationStandardError: num.optional(),
  rss: num.optional(),
});
const resultLine = z.object({ type: z.literal('result'), rss: num.optional() }).passthrough();

/** One line of `--progress-json`, validated. */
export const runLineSchema = z.discriminatedUnion('type', [
  epochLine,
  progressLine,
  startLine,
  trialLine,
  resultLine,
]);
export type RunLine = z.infer<typeof runLineSchema>;
export type TrialLine = z.infer<typeof trialLine>;

/**
 * Parses one stdout line of a `--progress-json` child; anything else (a stray log line) is null.
 * @example parseRunLine('{"type":"epoch","iteration":1,"iterations":5,"seconds":0.2}');
 */
export function parseRunLine(line: string): RunLine | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const parsed = runLineSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export type RunStatus = 'starting' | 'running' | 'cancelling' | 'cancelled' | 'done' | 'failed';

export interface RunState {
  status: RunStatus;
  startedAt: number;
  /** Last time an event arrived (for elapsed time after the end). */
  endedAt: number | null;
  backend: string | null;
  workers: number | null;
  /** Resident memory of the training process, bytes. */
  rss: number | null;
  stage: Stage | null;
  epochs: Record<Stage, EpochReport[]>;
  progress: { phase: string; done: number; total?: number; unit?: string; detail?: string } | null;
  trials: TrialLine[];
  result: Record<string, unknown> | null;
  error: string | null;
}

/** Events of a run besides the child's lines. */
export type RunEvent =
  | { type: 'line'; line: RunLine }
  | { type: 'cancel' }
  | { type: 'exit'; code: number | null; stderr: string };

/**
 * The state before the first event.
 * @example let state = initialRunState(Date.now());
 */
export function initialRunState(now: number): RunState {
  return {
    status: 'starting',
    startedAt: now,
    endedAt: null,
    backend: null,
    workers: null,
    rss: null,
    stage: null,
    epochs: { evaluate: [], fit: [] },
    progress: null,
    trials: [],
    result: null,
    error: null,
  };
}

/** Exit code of a command stopped by CANCELLED (src/core/errors.ts EXIT_CODES). */
const CANCELLED_EXIT = 130;

/**
 * The state after one event.
 * @example state = reduceRun(state, { type: 'line', line: { type: 'epoch', stage: 'fit', iteration: 1, iterations: 5, seconds: 0.3, loss: 0.02 } }, Date.now());
 */
export function reduceRun(state: RunState, event: RunEvent, now: number): RunState {
  if (event.type === 'cancel') {
    return state.status === 'starting' || state.status === 'running'
      ? { ...state, status: 'cancelling' }
      : state;
  }
  if (event.type === 'exit') {
    const ended = { ...state, endedAt: now };
    if (state.status === 'cancelling' || event.code === CANCELLED_EXIT)
      return { ...ended, status: 'cancelled' };
    if (event.code === 0 && state.result) return { ...ended, status: 'done' };
    const lastLine = event.stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    return {
      ...ended,
      status: 'failed',
      error: lastLine || `the training process exited with code ${String(event.code)} and no result`,
    };
  }
  const line = event.line;
  const next: RunState = {
    ...state,
    status: state.status === 'starting' ? 'running' : state.status,
    rss: line.rss ?? state.rss,
  };
  switch (line.type) {
    case 'start':
      return { ...next, backend: line.backend, workers: line.workers ?? null };
    case 'epoch': {
      const { stage, type: _type, rss: _rss, ...report } = line;
      const epochs = { ...next.epochs };
      // A new fit of the same stage (a tune trial, a second model) starts its series afresh.
      const previous = report.iteration <= 1 ? [] : epochs[stage];
      epochs[stage] = [...previous, report];
      return { ...next, stage, epochs };
    }
    case 'progress': {
      const { type: _type, rss: _rss, ...progress } = line;
      return { ...next, progress };
    }
    case 'trial': {
      return { ...next, trials: [...next.trials, line] };
    }
    case 'result': {
      const { type: _type, rss: _rss, ...result } = line;
      return { ...next, result };
    }
  }
}

/**
 * Seconds left, from the mean iteration time of the current fit (plus a whole final fit while the evaluation
 * fit runs, when `finalIterations` is given), or from the rate of a progress event with a total.
 * @example etaSeconds(state, 20);
 */
export function etaSeconds(state: RunState, finalIterations: number | null, now: number): number | null {
  const progress = state.progress;
  if (progress?.unit === 'trials' && progress.total !== undefined && progress.done > 0) {
    const elapsed = (now - state.startedAt) / 1000;
    return (elapsed / progress.done) * (progress.total - progress.done);
  }
  if (state.stage === null) return null;
  const epochs = state.epochs[state.stage];
  const last = epochs[epochs.length - 1];
  if (!last) return null;
  const mean = epochs.reduce((sum, e) => sum + e.seconds, 0) / epochs.length;
  const later = state.stage === 'evaluate' && finalIterations !== null ? finalIterations : 0;
  return mean * (last.iterations - last.iteration + later);
}
