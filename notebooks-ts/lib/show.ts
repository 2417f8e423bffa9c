/**
 * Tables and short texts shown inline in the notebooks as HTML (kept in the committed outputs, rendered by
 * GitHub and Jupyter alike).
 */
import * as tslab from 'tslab';

/** A table cell: numbers are formatted, strings escaped, null shown as an em dash. */
export type Cell = string | number | boolean | null | undefined;

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A number for a table: integers with thousands separators, others with `digits` significant decimals.
 * @example formatNumber(0.064612, 4); // '0.0646'
 */
export function formatNumber(n: number, digits = 4): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toFixed(digits);
}

function cellHtml(value: Cell, digits: number): string {
  if (value === null || value === undefined) return '&mdash;';
  if (typeof value === 'number') return formatNumber(value, digits);
  return escapeHtml(String(value));
}

/**
 * An HTML table of rows (columns: `columns`, or the keys of the first row).
 * @example tableHtml([{ model: 'als', 'ndcg@10': 0.0646 }]);
 */
export function tableHtml(
  rows: readonly Record<string, Cell>[],
  options: { columns?: readonly string[]; digits?: number; caption?: string } = {},
): string {
  const columns = options.columns ?? Object.keys(rows[0] ?? {});
  const digits = options.digits ?? 4;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((c) => `<td>${cellHtml(row[c], digits)}</td>`).join('')}</tr>`)
    .join('\n');
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/**
 * Shows rows as a table in the notebook.
 * @example showTable(rows, { columns: ['model', 'ndcg@10'], digits: 3 });
 */
export function showTable(
  rows: readonly Record<string, Cell>[],
  options: { columns?: readonly string[]; digits?: number; caption?: string } = {},
): void {
  tslab.display.html(tableHtml(rows, options));
}

/**
 * Shows a short text written from the numbers: one paragraph per entry, `**bold**` allowed.
 * @example showText([`ALS leads with NDCG@10 ${ndcg.toFixed(3)}.`]);
 */
export function showText(paragraphs: readonly string[]): void {
  const html = paragraphs
    .map((p) => `<p>${escapeHtml(p).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>')}</p>`)
    .join('\n');
  tslab.display.html(html);
}
