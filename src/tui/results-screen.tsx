/**
 * The results screen: this run's test metrics beside earlier runs of the same dataset, best of each column
 * marked `*`; a tune run's trials sorted by validation score; the artifact and its keys (promote, keep,
 * discard); and the CLI command that does the same.
 */
import { Box, Text } from 'ink';
import { bestPerColumn, METRIC_COLUMNS, sortTrials, type ResultRow } from './results.js';
import type { TrialLine } from './run-state.js';

export interface ResultsScreenProps {
  title: string;
  /** One line on how the figures were measured. */
  subtitle: string;
  rows: readonly ResultRow[];
  k: number;
  /** A tune run's trials and the validation key they were chosen on. */
  tune?: { trials: readonly TrialLine[]; key: string; names: readonly string[] } | null;
  /** Lines about the artifact and what was done with it. */
  notes: readonly string[];
  keys: string;
  /** The equivalent CLI command(s). */
  commands: readonly string[];
  width: number;
  height: number;
}

const LABEL = 23;
const CELL = 8;

/**
 * The metric table's lines (header first); the best value of each column carries a `*`.
 * @example metricTable(rows, 10).join('\n');
 */
export function metricTable(rows: readonly ResultRow[], k: number): { text: string; current: boolean }[] {
  const best = bestPerColumn(rows, k);
  const head = `${`run @${k}`.padEnd(LABEL)}${METRIC_COLUMNS.map((c) => c.head.padStart(CELL)).join('')}`;
  return [
    { text: head, current: false },
    ...rows.map((row, i) => {
      const label = `${row.current ? '▶ ' : row.promoted ? '● ' : '  '}${row.label}`.slice(0, LABEL - 1);
      const cells = METRIC_COLUMNS.map((c) => {
        const value = row.metrics[`${c.key}@${k}`];
        const text = value === undefined ? '--' : value.toFixed(4);
        return `${text}${best[c.key] === i ? '*' : ' '}`.padStart(CELL);
      });
      return { text: `${label.padEnd(LABEL)}${cells.join('')}`, current: row.current };
    }),
  ];
}

/**
 * @example render(<ResultsScreen title="…" subtitle="…" rows={rows} k={10} notes={[]} keys="q quit" commands={[]} width={80} height={24} />);
 */
export function ResultsScreen(props: ResultsScreenProps) {
  const { width, height } = props;
  const tuneLines = props.tune ? tuneTable(props.tune) : [];
  // Fixed lines: title, blank, subtitle, legend, blank, notes, keys, blank, commands.
  const fixed = 7 + props.notes.length + props.commands.length + (props.tune ? 2 : 0);
  const room = Math.max(2, height - 1 - fixed);
  const tuneRoom = props.tune ? Math.min(tuneLines.length, Math.max(3, Math.floor(room / 2))) : 0;
  const table = metricTable(props.rows, props.k).slice(0, Math.max(2, room - tuneRoom));
  return (
    <Box flexDirection="column" width={width}>
      <Text inverse wrap="truncate">
        {` ${props.title} `.padEnd(width)}
      </Text>
      <Text> </Text>
      <Text dimColor wrap="truncate">
        {props.subtitle}
      </Text>
      {table.map((line, i) => (
        <Text
          key={i}
          bold={i === 0 || line.current}
          color={line.current ? 'cyan' : undefined}
          wrap="truncate"
        >
          {line.text}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        * best of each column · ▶ this run · ● current (promoted)
      </Text>
      {props.tune ? (
        <>
          <Text> </Text>
          <Text bold wrap="truncate">
            {`trials by validation ${props.tune.key}, best first`}
          </Text>
          {tuneLines.slice(0, tuneRoom).map((line, i) => (
            <Text key={`t${i}`} wrap="truncate" bold={i === 0}>
              {line}
            </Text>
          ))}
        </>
      ) : null}
      <Text> </Text>
      {props.notes.map((note, i) => (
        <Text key={`n${i}`} color="yellow" wrap="truncate">
          {note}
        </Text>
      ))}
      <Text wrap="truncate">{props.keys}</Text>
      <Text> </Text>
      {props.commands.map((command, i) => (
        <Text key={`c${i}`} dimColor wrap="wrap">
          {`$ ${command}`}
        </Text>
      ))}
    </Box>
  );
}

/** The trials table: trial, the searched hyperparameters, the validation score, fit seconds. */
function tuneTable(tune: { trials: readonly TrialLine[]; key: string; names: readonly string[] }): string[] {
  const sorted = sortTrials(tune.trials, tune.key);
  const head = ['trial', ...tune.names, `val ${tune.key}`, 'fit s'];
  const rows = sorted.map((t, i) => [
    `${i === 0 ? '*' : ' '}${t.trial}${t.trial === 0 ? ' (def)' : ''}`,
    ...tune.names.map((n) => String(t.hyperparameters[n] ?? '')),
    (t.validation[tune.key] ?? Number.NaN).toFixed(4),
    (t.validation.fit_seconds ?? Number.NaN).toFixed(1),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  '),
  );
}
