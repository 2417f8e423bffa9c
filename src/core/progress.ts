/**
 * Progress reporting shared by every long step (download, ETL, seeding, training). Producers call a
 * `ProgressListener`; the CLI renders it as a bar with rate and ETA on a TTY and as plain log lines
 * otherwise; the TUI and notebooks pass their own listener.
 */
export interface ProgressEvent {
  /** What is being done, e.g. 'download ml-1m', 'als iteration'. */
  phase: string;
  /** Units done so far. */
  done: number;
  /** Units in all, when known. */
  total?: number;
  /** What a unit is; 'bytes' renders as MB. */
  unit?: 'bytes' | 'rows' | 'items' | 'iterations' | 'trials' | 'users';
  /** Extra figures shown beside the bar (loss, metric). */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** A listener that ignores everything. */
export const silentProgress: ProgressListener = () => undefined;

export interface ProgressRendererOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force the TTY bar on or off; defaults to the stream's isTTY. */
  tty?: boolean;
  /** Minimum milliseconds between two redraws (TTY) or two log lines (plain). */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Renders progress events: a redrawn bar with rate and ETA on a TTY, one log line per phase start, every
 * `intervalMs` and at completion otherwise.
 * @example const onProgress = createProgressRenderer(); onProgress({ phase: 'etl', done: 5, total: 10 });
 */
export function createProgressRenderer(options: ProgressRendererOptions = {}): ProgressListener {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  const interval = options.intervalMs ?? (tty ? 100 : 5000);
  const now = options.now ?? (() => Date.now());
  let phase = '';
  let startedAt = 0;
  let lastDraw = 0;
  return (event) => {
    const t = now();
    const finished = event.total !== undefined && event.done >= event.total;
    if (event.phase !== phase) {
      if (tty && phase !== '') stream.write('\n');
      phase = event.phase;
      startedAt = t;
      lastDraw = 0;
      if (!tty)
        stream.write(
          `${event.phase}: started${event.total !== undefined ? ` (${formatAmount(event.total, event.unit)})` : ''}\n`,
        );
    }
    if (!finished && t - lastDraw < interval) return;
    lastDraw = t;
    const line = describe(event, (t - startedAt) / 1000);
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      if (finished) {
        stream.write('\n');
        phase = '';
      }
    } else {
      stream.write(`${line}\n`);
      if (finished) phase = '';
    }
  };
}

function describe(event: ProgressEvent, elapsedSeconds: number): string {
  const parts = [event.phase];
  const rate = elapsedSeconds > 0 ? event.done / elapsedSeconds : 0;
  if (event.total !== undefined && event.total > 0) {
    const fraction = Math.min(1, event.done / event.total);
    const width = 24;
    const filled = Math.round(fraction * width);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}%`);
    parts.push(`${formatAmount(event.done, event.unit)}/${formatAmount(event.total, event.unit)}`);
    if (rate > 0 && fraction < 1) parts.push(`ETA ${formatDuration((event.total - event.done) / rate)}`);
  } else {
    parts.push(formatAmount(event.done, event.unit));
  }
  if (rate > 0) parts.push(formatRate(rate, event.unit));
  parts.push(formatDuration(elapsedSeconds));
  if (event.detail !== undefined) parts.push(event.detail);
  return parts.join('  ');
}

/** Formats an amount of a unit for humans: bytes as KB/MB/GB, others with thousands separators. */
export function formatAmount(value: number, unit?: ProgressEvent['unit']): string {
  if (unit === 'bytes') {
    const units = ['B', 'KB', 'MB', 'GB'];
    let v = value;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
  return Math.round(value).toLocaleString('en-US');
}

/** Formats a rate per second; slow rates (under one unit a second) per minute, e.g. `2.5/min`. */
export function formatRate(perSecond: number, unit?: ProgressEvent['unit']): string {
  if (unit !== 'bytes' && perSecond < 1) return `${(perSecond * 60).toFixed(1)}/min`;
  return `${formatAmount(perSecond, unit)}/s`;
}

/** Formats seconds as `1h02m`, `3m05s` or `4.2s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
