/**
 * The run screen: the current fit's iteration with a bar and ETA, the loss as a braille chart (and the
 * validation metric where the model reports one), or the epochs as a table (`v`), the latest progress event,
 * and a status line with backend, threads and memory. Presentational: the app feeds it the run's state.
 */
import { Box, Text } from 'ink';
import type { EpochReport } from '../models/types.js';
import { brailleChart, formatDuration, progressBar } from './chart.js';
import type { RunSetup } from './commands.js';
import { etaSeconds, type RunState } from './run-state.js';

export interface RunScreenProps {
  state: RunState;
  setup: RunSetup;
  /** Iterations of the final fit, for the ETA while the evaluation fit runs (null: unknown). */
  finalIterations: number | null;
  /** 'chart' (default) or 'table' of epochs. */
  view: 'chart' | 'table';
  now: number;
  /** Resident memory of the TUI process itself, bytes. */
  uiRss: number;
  width: number;
  height: number;
}

const STAGE_LABEL = { evaluate: 'evaluation fit (train split)', fit: 'final fit (all data)' } as const;

const mb = (bytes: number | null): string => (bytes === null ? '--' : `${Math.round(bytes / 2 ** 20)} MB`);

const formatValue = (v: number): string =>
  Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(5);

/** The first metric a model reports beside its loss (e.g. a validation NDCG, or RMSE for explicit ALS). */
function metricName(epochs: readonly EpochReport[]): string | null {
  for (const epoch of epochs) {
    const names = Object.keys(epoch.metrics ?? {});
    if (names.length > 0) return names.find((n) => /val/i.test(n)) ?? (names[0] as string);
  }
  return null;
}

/**
 * @example render(<RunScreen state={state} setup={setup} finalIterations={20} view="chart" now={Date.now()} uiRss={0} width={80} height={24} />);
 */
export function RunScreen(props: RunScreenProps) {
  const { state, setup, width, height } = props;
  const stage = state.stage;
  const epochs = stage ? state.epochs[stage] : [];
  const last = epochs[epochs.length - 1];
  const metric = metricName(epochs);
  // A tune run charts each trial's validation score; other runs the loss of the current fit.
  const trialKey = Object.keys(state.trials[0]?.validation ?? {}).find((k) => k.startsWith('ndcg@')) ?? null;
  const losses =
    setup.mode === 'tune'
      ? state.trials.map((t) => (trialKey ? (t.validation[trialKey] ?? Number.NaN) : Number.NaN))
      : epochs.map((e) => e.loss ?? Number.NaN);
  const hasLoss = losses.some((v) => Number.isFinite(v));
  const seriesLabel =
    setup.mode === 'tune'
      ? hasLoss
        ? `validation ${trialKey ?? ''} per trial (best ${Math.max(...losses.filter(Number.isFinite)).toFixed(4)})`
        : 'validation score per trial: waiting for the first trial'
      : hasLoss
        ? `loss per iteration (${stage ? STAGE_LABEL[stage] : ''})`
        : 'loss: none reported yet';
  const metricValues = metric ? epochs.map((e) => e.metrics?.[metric] ?? Number.NaN) : [];
  const ended = state.status === 'cancelled' || state.status === 'failed' || state.status === 'done';
  const elapsed = ((state.endedAt ?? props.now) - state.startedAt) / 1000;
  const eta = ended ? null : etaSeconds(state, props.finalIterations, props.now);

  const trials = state.progress?.unit === 'trials' ? state.progress : null;
  const fraction = trials
    ? trials.done / Math.max(1, trials.total ?? 1)
    : last
      ? last.iteration / last.iterations
      : state.progress?.total
        ? state.progress.done / state.progress.total
        : 0;
  const heading = trials
    ? trials.done < setup.trials
      ? `tune: trial ${trials.done + 1} of ${setup.trials} on validation`
      : `tune: best and defaults on test (${Math.min(trials.done - setup.trials + 1, 2)}/2)`
    : stage && last
      ? `${setup.mode === 'tune' ? 'fit' : STAGE_LABEL[stage]} · iteration ${last.iteration}/${last.iterations}`
      : state.status === 'starting'
        ? 'starting the training process…'
        : (state.progress?.phase ?? 'loading data…');
  const barWidth = Math.max(10, width - heading.length - 24);

  // Fixed lines: title, blank, heading, values, blank, chart title, phase, message, status, keys.
  const free = Math.max(4, height - 11);
  const metricHeight = metric ? Math.max(2, Math.floor(free / 3)) : 0;
  const lossHeight = Math.max(2, free - metricHeight - (metric ? 1 : 0));

  const table = (): string[] => {
    const rows = epochs.slice(-(free + 1));
    const head = `${'iter'.padStart(6)}  ${'loss'.padStart(12)}  ${'seconds'.padStart(8)}${metric ? `  ${metric.padStart(12)}` : ''}`;
    return [
      head,
      ...rows.map(
        (e) =>
          `${String(e.iteration).padStart(6)}  ${(e.loss === undefined ? '--' : formatValue(e.loss)).padStart(12)}  ${e.seconds.toFixed(2).padStart(8)}${metric ? `  ${(e.metrics?.[metric] === undefined ? '--' : formatValue(e.metrics[metric] as number)).padStart(12)}` : ''}`,
      ),
    ];
  };

  const statusMessage =
    state.status === 'cancelling'
      ? { color: 'yellow', text: 'Cancelling: waiting for the training process to stop…' }
      : state.status === 'cancelled'
        ? {
            color: 'yellow',
            text: 'Cancelled: training stopped, nothing saved (no artifact, no staging folder).',
          }
        : state.status === 'failed'
          ? { color: 'red', text: `Failed: ${state.error ?? 'unknown error'}` }
          : null;
  const keys = ended
    ? 'n new run · q quit'
    : `q cancel · v ${props.view === 'chart' ? 'epochs table' : 'chart'}`;

  return (
    <Box flexDirection="column" width={width}>
      <Text inverse wrap="truncate">
        {` recsys tui · run · ${setup.mode} · ${setup.model} on ${setup.dataset} `.padEnd(width)}
      </Text>
      <Text> </Text>
      <Text wrap="truncate">
        {heading} <Text color="cyan">{progressBar(fraction, barWidth)}</Text>{' '}
        {`${Math.round(fraction * 100)}%`.padStart(4)}
        {eta !== null ? ` ETA ${formatDuration(eta)}` : ''}
      </Text>
      <Text wrap="truncate">
        {last
          ? [
              ...(last.loss !== undefined ? [`loss ${formatValue(last.loss)}`] : []),
              ...Object.entries(last.metrics ?? {}).map(([n, v]) => `${n} ${formatValue(v)}`),
              `${last.seconds.toFixed(2)} s/iteration`,
            ].join('   ')
          : ' '}
      </Text>
      <Text> </Text>
      {props.view === 'table' ? (
        <Box flexDirection="column" height={free + 1}>
          {table().map((line, i) => (
            <Text key={i} wrap="truncate">
              {line}
            </Text>
          ))}
        </Box>
      ) : (
        <Box flexDirection="column" height={free + 1}>
          <Text dimColor wrap="truncate">
            {seriesLabel}
          </Text>
          {brailleChart(hasLoss ? losses : [], { width: width - 2, height: lossHeight }).map((line, i) => (
            <Text key={`l${i}`} color="green" wrap="truncate">
              {line}
            </Text>
          ))}
          {metric ? (
            <>
              <Text dimColor wrap="truncate">
                {metric} per iteration
              </Text>
              {brailleChart(metricValues, { width: width - 2, height: metricHeight }).map((line, i) => (
                <Text key={`m${i}`} color="magenta" wrap="truncate">
                  {line}
                </Text>
              ))}
            </>
          ) : null}
        </Box>
      )}
      <Text dimColor wrap="truncate">
        {state.progress
          ? `${state.progress.phase}: ${state.progress.done}${state.progress.total !== undefined ? `/${state.progress.total}` : ''} ${state.progress.unit ?? ''} ${state.progress.detail ?? ''}`
          : ' '}
      </Text>
      <Text color={statusMessage?.color} wrap="truncate">
        {statusMessage?.text ?? ' '}
      </Text>
      <Text wrap="truncate">
        {`backend ${state.backend ?? '--'} · threads ${state.workers ?? '--'} · memory ${mb(state.rss)} trainer, ${mb(props.uiRss)} ui · ${formatDuration(elapsed)}`}
      </Text>
      <Text dimColor wrap="truncate">
        {keys}
      </Text>
    </Box>
  );
}
