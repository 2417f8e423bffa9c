import { DataFormatError } from '../../core/errors.js';

/**
 * What can be wrong with a source line, and the tally `--skip-bad-lines` reports instead of failing. Every
 * reader raises DataFormatError(file, line, reason) through `BadLineSink.fault`, which throws unless the
 * caller asked to skip bad lines.
 */
export type BadLineReason =
  | 'field count'
  | 'non-numeric id'
  | 'bad rating'
  | 'rating out of range'
  | 'bad timestamp'
  | 'duplicate'
  | 'bad value'
  | 'bad encoding'
  | 'control character'
  | 'bad header';

export interface SkippedLine {
  file: string;
  line: number;
  reason: BadLineReason;
  message: string;
}

export interface SkipReport {
  total: number;
  byReason: Partial<Record<BadLineReason, number>>;
  /** The first few skipped lines, for the log. */
  examples: SkippedLine[];
}

const MAX_EXAMPLES = 10;

/** Collects bad lines: throws at the first one unless `skip` is set, then counts them by reason. */
export interface BadLineSink {
  readonly skip: boolean;
  /** Raises (or records, when skipping) a bad line. Returns normally only when skipping. */
  fault(file: string, line: number, reason: BadLineReason, message: string): void;
  report(): SkipReport;
}

/**
 * @example const sink = createBadLineSink(false); sink.fault('u.data', 3, 'field count', 'expected 4 fields, found 3'); // throws
 */
export function createBadLineSink(skip: boolean): BadLineSink {
  const byReason: Partial<Record<BadLineReason, number>> = {};
  const examples: SkippedLine[] = [];
  let total = 0;
  return {
    skip,
    fault(file, line, reason, message) {
      if (!skip) throw new DataFormatError(file, line, `${reason}: ${message}`);
      total++;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      if (examples.length < MAX_EXAMPLES) examples.push({ file, line, reason, message });
    },
    report: () => ({ total, byReason: { ...byReason }, examples: [...examples] }),
  };
}

/** Merges skip reports of several files into one. */
export function mergeSkipReports(reports: SkipReport[]): SkipReport {
  const merged: SkipReport = { total: 0, byReason: {}, examples: [] };
  for (const r of reports) {
    merged.total += r.total;
    for (const [reason, n] of Object.entries(r.byReason) as [BadLineReason, number][]) {
      merged.byReason[reason] = (merged.byReason[reason] ?? 0) + n;
    }
    merged.examples.push(...r.examples.slice(0, MAX_EXAMPLES - merged.examples.length));
  }
  return merged;
}

const ID_PATTERN = /^\d{1,10}$/;

/** A MovieLens id (non-negative int32) from a field, or null when the field is not one. */
export function parseId(field: string): number | null {
  if (!ID_PATTERN.test(field)) return null;
  const value = Number(field);
  return value <= 0x7fffffff ? value : null;
}
