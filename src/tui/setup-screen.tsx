/**
 * The setup screen: dataset (local ones with counts), model (every kind the registry has), mode, k, trials
 * and the model's hyperparameter form generated from its zod schema, refused values shown inline with the
 * schema's reason. Arrow keys move and change, typing edits, Enter starts.
 */
import { Box, Text, useInput, type Key } from 'ink';
import { useRef, useState } from 'react';
import type { ModelFactory } from '../models/types.js';
import type { DatasetName } from '../core/types.js';
import { progressBar } from './chart.js';
import { RUN_MODES, type RunMode, type RunSetup } from './commands.js';
import { formatCounts, type DatasetChoice } from './datasets.js';
import { changedValues, cycleChoice, formFields, validateForm, type FormField } from './schema-form.js';

export interface SetupScreenProps {
  datasets: readonly DatasetChoice[];
  /** The registry's kinds and factories, in its order. */
  models: readonly ModelFactory[];
  dataDir: string;
  /** Values that replace schema defaults in the form (e.g. `workers` from RECSYS_WORKERS). */
  defaultOverrides?: Readonly<Record<string, unknown>>;
  /** The setup to start from (the previous run's, after "new run"). */
  initial?: Partial<Pick<RunSetup, 'mode' | 'dataset' | 'model' | 'k' | 'trials'>> & {
    texts?: Record<string, string>;
  };
  width: number;
  height: number;
  onStart(setup: RunSetup, texts: Record<string, string>): void;
  onQuit(): void;
  /** Downloads under way or failed, by dataset name. */
  downloads?: Readonly<Record<string, { done: number; total: number | null; error: string | null }>>;
  /** `d` on a release that is not local. */
  onDownload?(name: DatasetName): void;
}

/** Rows that are not hyperparameter fields. */
type FixedRow = 'dataset' | 'model' | 'mode' | 'k' | 'trials' | 'start';

/**
 * Calls `handle` once per key: Ink hands a run of plain characters (typed fast, pasted, or sent by tmux) as one
 * input, in which Enter, Backspace and Tab arrive as control characters.
 * @example useInput((input, key) => forEachKey(input, key, onKey));
 */
export function forEachKey(
  input: string,
  key: Key,
  handle: (input: string, key: Partial<Key>) => void,
): void {
  if (input.length <= 1 || key.ctrl || key.meta || input.startsWith('\x1b')) {
    handle(input, key);
    return;
  }
  for (const char of input) {
    if (char === '\r' || char === '\n') handle('', { return: true });
    else if (char === '\x7f' || char === '\b') handle('', { backspace: true });
    else if (char === '\t') handle('', { tab: true });
    else handle(char, {});
  }
}

interface SetupState {
  datasetAt: number;
  modelAt: number;
  mode: RunMode;
  kText: string;
  trialsText: string;
  /** Texts typed into the hyperparameter form, by field name (absent: the default). */
  texts: Record<string, string>;
  focus: number;
  message: string | null;
}

const intIn = (text: string, min: number, max: number): string | null => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n)) return `'${text}' is not a whole number`;
  if (n < min || n > max) return `must be between ${min} and ${max}`;
  return null;
};

const wrapIndex = (at: number, step: number, length: number): number =>
  (((at + step) % length) + length) % length;

/**
 * @example render(<SetupScreen datasets={choices} models={Object.values(MODELS)} dataDir="data" width={80} height={24} onStart={start} onQuit={quit} />);
 */
export function SetupScreen(props: SetupScreenProps) {
  const { datasets, models } = props;
  const [state, setState] = useState<SetupState>(() => ({
    datasetAt: Math.max(
      0,
      datasets.findIndex((d) => d.name === props.initial?.dataset),
    ),
    modelAt: Math.max(
      0,
      models.findIndex((m) => m.kind === props.initial?.model),
    ),
    mode: props.initial?.mode ?? 'evaluate',
    kText: String(props.initial?.k ?? 10),
    trialsText: String(props.initial?.trials ?? 8),
    texts: props.initial?.texts ?? {},
    focus: 0,
    message: null,
  }));
  // Keys arrive faster than renders (a paste, tmux send-keys): each one must see the previous one's state.
  const latest = useRef(state);
  latest.current = state;
  const derive = (s: SetupState) => {
    const factory = models[s.modelAt] as ModelFactory;
    const fields = formFields(factory.schema, {
      ...factory.defaults,
      ...pickKnown(factory, props.defaultOverrides),
    });
    const rows: (FixedRow | FormField)[] = [
      'dataset',
      'model',
      'mode',
      'k',
      ...(s.mode === 'tune' ? (['trials'] as const) : []),
      ...fields,
      'start',
    ];
    return {
      factory,
      fields,
      rows,
      focused: rows[Math.min(s.focus, rows.length - 1)] as FixedRow | FormField,
      problems: validateForm(factory.schema, fields, s.texts),
      kProblem: intIn(s.kText, 1, 1000),
      trialsProblem: s.mode === 'tune' ? intIn(s.trialsText, 1, 1000) : null,
      dataset: datasets[s.datasetAt],
    };
  };

  const onKey = (input: string, key: Partial<Key>): void => {
    const s = latest.current;
    const d = derive(s);
    const update = (patch: Partial<SetupState>): void => {
      latest.current = { ...s, ...patch };
      setState(latest.current);
    };
    const textOf = (field: FormField): string => s.texts[field.name] ?? field.defaultText;
    const { focused } = d;
    const edit = (change: (text: string) => string): void => {
      if (focused === 'k') update({ kText: change(s.kText) });
      else if (focused === 'trials') update({ trialsText: change(s.trialsText) });
      else if (typeof focused === 'object' && (focused.choices === null || focused.kind === 'string')) {
        update({ texts: { ...s.texts, [focused.name]: change(textOf(focused)) } });
      }
    };
    const cycle = (step: 1 | -1): void => {
      if (focused === 'dataset') update({ datasetAt: wrapIndex(s.datasetAt, step, datasets.length) });
      else if (focused === 'model') update({ modelAt: wrapIndex(s.modelAt, step, models.length), texts: {} });
      else if (focused === 'mode') {
        update({ mode: RUN_MODES[wrapIndex(RUN_MODES.indexOf(s.mode), step, RUN_MODES.length)] as RunMode });
      } else if (typeof focused === 'object' && focused.choices !== null) {
        update({ texts: { ...s.texts, [focused.name]: cycleChoice(focused, textOf(focused), step) } });
      }
    };
    const start = (): void => {
      const firstProblem = Object.entries(d.problems)[0];
      const dataset = d.dataset;
      if (!dataset?.source) {
        update({
          message: `${dataset?.name ?? 'dataset'} is not local: recsys data download ${dataset?.name ?? ''}`,
        });
      } else if (firstProblem) {
        update({ message: `fix ${firstProblem[0]} first: ${firstProblem[1]}` });
      } else if (d.kProblem || d.trialsProblem) {
        update({
          message: `fix ${d.kProblem ? 'k' : 'trials'} first: ${d.kProblem ?? d.trialsProblem ?? ''}`,
        });
      } else {
        update({ message: null });
        props.onStart(
          {
            mode: s.mode,
            dataset: dataset.name,
            model: d.factory.kind,
            hyperparameters: changedValues(d.fields, s.texts),
            k: Number(s.kText),
            trials: Number(s.trialsText),
            from: dataset.source.kind === 'movielens-dir' ? dataset.source.dir : null,
            dataDir: props.dataDir,
          },
          s.texts,
        );
      }
    };
    const at = Math.min(s.focus, d.rows.length - 1);
    const typing = typeof focused === 'object' && focused.kind === 'string';
    if (key.ctrl && input === 'c') props.onQuit();
    else if (key.upArrow) update({ focus: wrapIndex(at, -1, d.rows.length) });
    else if (key.downArrow || key.tab) update({ focus: wrapIndex(at, 1, d.rows.length) });
    else if (key.leftArrow) cycle(-1);
    else if (key.rightArrow) cycle(1);
    else if (key.return) start();
    else if (key.backspace || key.delete) edit((t) => t.slice(0, -1));
    else if (!typing && (input === 'q' || key.escape)) props.onQuit();
    else if (focused === 'dataset' && input === 'd' && d.dataset && !d.dataset.source) {
      props.onDownload?.(d.dataset.name);
    } else if (input && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) edit((t) => t + input);
  };
  useInput((input, key) => forEachKey(input, key, onKey));

  const { factory, fields, focused, problems, kProblem, trialsProblem, dataset } = derive(state);
  const { mode, kText, trialsText, texts, message } = state;
  const textOf = (field: FormField): string => texts[field.name] ?? field.defaultText;

  // The form scrolls when the model has more fields than the terminal has rows.
  const fixedLines = 11 + (mode === 'tune' ? 1 : 0);
  const visible = Math.max(3, props.height - fixedLines);
  const focusField = typeof focused === 'object' ? fields.indexOf(focused) : -1;
  const first = Math.max(0, Math.min(fields.length - visible, focusField - Math.floor(visible / 2)));
  const shown = fields.slice(first, first + visible);

  const mark = (row: FixedRow | FormField): string => (row === focused ? '›' : ' ');
  const downloading = dataset ? props.downloads?.[dataset.name] : undefined;
  const datasetNote = !dataset
    ? 'no datasets'
    : !dataset.source && downloading?.error
      ? `download failed: ${downloading.error}`
      : !dataset.source && downloading
        ? `downloading ${progressBar(downloading.total ? downloading.done / downloading.total : 0, 20)} ${(downloading.done / 2 ** 20).toFixed(1)}${downloading.total ? `/${(downloading.total / 2 ** 20).toFixed(1)}` : ''} MB`
        : !dataset.source
          ? `not local (${dataset.sizeNote}): d downloads`
          : dataset.counts
            ? formatCounts(dataset.counts)
            : 'local · counting…';
  return (
    <Box flexDirection="column" width={props.width}>
      <Text inverse wrap="truncate">
        {` recsys tui · setup `.padEnd(props.width)}
      </Text>
      <Text> </Text>
      <Text wrap="truncate">
        {mark('dataset')} Dataset {'  '}
        <Text bold color={dataset?.source ? 'cyan' : 'yellow'}>{`‹ ${dataset?.name ?? '-'} ›`}</Text>{' '}
        {datasetNote}
      </Text>
      <Text wrap="truncate">
        {mark('model')} Model {'    '}
        <Text bold color="cyan">{`‹ ${factory.kind} ›`}</Text> <Text dimColor>{factory.description}</Text>
      </Text>
      <Text wrap="truncate">
        {mark('mode')} Mode {'     '}
        {RUN_MODES.map((m) => (
          <Text key={m} bold={m === mode} color={m === mode ? 'cyan' : undefined} dimColor={m !== mode}>
            {m === mode ? `‹ ${m} › ` : ` ${m}  `}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate">
        {mark('k')} k {'        '}
        {kText.padEnd(12)}
        {kProblem ? <Text color="red">✗ {kProblem}</Text> : <Text dimColor>cut-off of every metric</Text>}
      </Text>
      {mode === 'tune' ? (
        <Text wrap="truncate">
          {mark('trials')} Trials {'   '}
          {trialsText.padEnd(12)}
          {trialsProblem ? (
            <Text color="red">✗ {trialsProblem}</Text>
          ) : (
            <Text dimColor>settings tried; values changed below stay fixed</Text>
          )}
        </Text>
      ) : null}
      <Text bold wrap="truncate">
        {`  ${factory.kind} hyperparameters${fields.length > shown.length ? ` (${first + 1}-${first + shown.length} of ${fields.length})` : ''}`}
      </Text>
      {shown.map((field) => {
        const text = textOf(field);
        const problem = problems[field.name];
        return (
          <Text key={field.name} wrap="truncate">
            {mark(field)} {'  '}
            {field.name.padEnd(16)}{' '}
            <Text color={problem ? 'red' : text !== field.defaultText ? 'green' : undefined}>
              {`${(field.choices ? `‹ ${text} ›` : text === '' ? '_' : text).padEnd(11)} `}
            </Text>
            {problem ? <Text color="red">✗ {problem}</Text> : <Text dimColor>{hint(field)}</Text>}
          </Text>
        );
      })}
      <Text> </Text>
      <Text wrap="truncate">
        {mark('start')}{' '}
        <Text inverse={focused === 'start'} bold>
          {' Start '}
        </Text>{' '}
        <Text dimColor>
          {mode === 'evaluate'
            ? 'fit on the split, test metrics'
            : mode === 'tune'
              ? 'search on validation, best on test'
              : 'evaluate, fit on all, save; then promote/keep/discard'}
        </Text>
      </Text>
      <Text color="yellow" wrap="truncate">
        {message ?? ' '}
      </Text>
      <Text dimColor wrap="truncate">
        ↑↓ move · ←→ change · type to edit · ⏎ start · q quit
      </Text>
    </Box>
  );
}

function hint(field: FormField): string {
  if (field.choices) return field.kind === 'boolean' ? 'true/false' : `${field.choices.length} choices`;
  const range =
    field.min !== null && field.max !== null
      ? ` ${field.min}..${field.max}`
      : field.min !== null
        ? ` >= ${field.min}`
        : field.max !== null
          ? ` <= ${field.max}`
          : '';
  return `${field.kind}${range}`;
}

/** The overrides that name fields of this model. */
function pickKnown(
  factory: ModelFactory,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(overrides ?? {}).filter(([name]) => name in factory.defaults));
}
