import type { ProgressEvent, ProgressListener } from '../core/progress.js';
import type { EpochReport } from '../models/types.js';

/**
 * `--progress-json` of `train`, `evaluate` and `tune`: the command writes JSON lines to stdout instead of its
 * progress bar and tables, so another program (the TUI, a notebook, a scheduler) can follow a run. One object
 * per line, each with a `type`:
 * - `start`: `{ backend, workers }` once the TF.js backend is up;
 * - `progress`: a ProgressEvent (`phase`, `done`, `total`, `unit`, `detail`);
 * - `epoch`: an EpochReport plus `stage` (`evaluate`: the fit on the split's train side; `fit`: the final fit);
 * - `trial`: one tune trial as TuneOptions.onTrial reports it;
 * - `result`: the command's outcome (the JSON `--json` would print, or the saved artifact for `train`).
 * Every line carries `rss`, the child's resident memory in bytes. SIGTERM and SIGINT abort the run through
 * `signal` (the command then exits with CANCELLED's code and leaves no artifact).
 */
export interface ProgressJson {
  /** Aborted by SIGTERM or SIGINT. */
  signal: AbortSignal;
  onProgress: ProgressListener;
  onEpoch(stage: 'evaluate' | 'fit'): (report: EpochReport) => void;
  emit(type: string, fields: object): void;
  /** Removes the signal handlers. */
  close(): void;
}

/**
 * Starts the JSON-lines stream on `stream` (default stdout) and the signal handlers that abort the run.
 * @example const json = startProgressJson(); json.emit('result', report); json.close();
 */
export function startProgressJson(stream: NodeJS.WritableStream = process.stdout): ProgressJson {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.on('SIGTERM', abort);
  process.on('SIGINT', abort);
  const emit = (type: string, fields: object): void => {
    stream.write(`${JSON.stringify({ type, ...fields, rss: process.memoryUsage().rss })}\n`);
  };
  return {
    signal: controller.signal,
    onProgress: (event: ProgressEvent) => emit('progress', event),
    onEpoch: (stage) => (report) => emit('epoch', { stage, ...report }),
    emit,
    close: () => {
      process.off('SIGTERM', abort);
      process.off('SIGINT', abort);
    },
  };
}
