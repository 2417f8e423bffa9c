/**
 * Text charts for the run screen: a braille line chart (2 x 4 dots per character) of a series such as the
 * loss per iteration, and a block progress bar. Pure functions returning strings, so tests compare text.
 */

/** Dot bit of braille pattern U+2800 + bits, by [row][column] inside one character cell. */
const DOT: readonly (readonly [number, number])[] = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

/** Options of brailleChart: the plot size in characters (the y labels come on top of `width`). */
export interface ChartOptions {
  width: number;
  height: number;
  /** Digits of the y-axis labels (default 4 significant). */
  format?: (value: number) => string;
}

const defaultFormat = (value: number): string =>
  Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0)
    ? value.toExponential(2)
    : value.toPrecision(4);

/**
 * A braille line chart of `values` (index on x, stretched or sampled to fit; value on y, min at the bottom,
 * max at the top), with the max and min labelled on the left. Empty input gives blank lines.
 * @example brailleChart([0.5, 0.3, 0.2, 0.15], { width: 20, height: 4 }).join('\n');
 */
export function brailleChart(values: readonly number[], options: ChartOptions): string[] {
  const format = options.format ?? defaultFormat;
  const finite = values.filter((v) => Number.isFinite(v));
  const height = Math.max(1, options.height);
  const hi = finite.length > 0 ? Math.max(...finite) : 0;
  const lo = finite.length > 0 ? Math.min(...finite) : 0;
  const labels = finite.length > 0 ? [format(hi), format(lo)] : ['', ''];
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const width = Math.max(1, options.width - labelWidth - 1);
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  const pixelWidth = width * 2;
  const pixelHeight = height * 4;
  const yOf = (v: number): number =>
    hi === lo ? Math.floor((pixelHeight - 1) / 2) : Math.round(((hi - v) / (hi - lo)) * (pixelHeight - 1));
  const set = (x: number, y: number): void => {
    const row = cells[Math.floor(y / 4)];
    if (row) row[Math.floor(x / 2)] = (row[Math.floor(x / 2)] ?? 0) | (DOT[y % 4]?.[x % 2] ?? 0);
  };
  const n = values.length;
  const points: { x: number; y: number }[] = [];
  if (n > 0) {
    const columns = Math.min(pixelWidth, n);
    for (let x = 0; x < columns; x++) {
      // Stretch short series over the width; sample long ones (the last value always shows).
      const index = columns === 1 ? n - 1 : Math.round((x * (n - 1)) / (columns - 1));
      const value = values[index] as number;
      if (!Number.isFinite(value)) continue;
      const px = columns === 1 ? 0 : Math.round((x * (pixelWidth - 1)) / (columns - 1));
      points.push({ x: px, y: yOf(value) });
    }
  }
  for (const [i, point] of points.entries()) {
    const previous = points[i - 1];
    if (!previous) {
      set(point.x, point.y);
      continue;
    }
    // Join consecutive points so a steep fall reads as a line, not scattered dots.
    const steps = Math.max(Math.abs(point.x - previous.x), Math.abs(point.y - previous.y), 1);
    for (let s = 1; s <= steps; s++) {
      set(
        Math.round(previous.x + ((point.x - previous.x) * s) / steps),
        Math.round(previous.y + ((point.y - previous.y) * s) / steps),
      );
    }
  }
  return cells.map((row, r) => {
    const label = r === 0 ? labels[0] : r === height - 1 ? labels[1] : '';
    const text = row.map((bits) => (bits === 0 ? ' ' : String.fromCharCode(0x2800 + bits))).join('');
    return `${(label ?? '').padStart(labelWidth)}│${text}`;
  });
}

/**
 * A block progress bar of `width` characters: full blocks, one partial eighth block, light shade for the rest.
 * @example progressBar(0.5, 10); // '█████░░░░░'
 */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  const bar = '█'.repeat(full) + (partial > 0 ? partials[partial] : '');
  return bar + '░'.repeat(Math.max(0, width - bar.length));
}

/**
 * Seconds as a short duration: `42s`, `3m05s`, `1h02m`.
 * @example formatDuration(185); // '3m05s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
