/**
 * The TUI's root: setup -> run -> results, with the run in a child process (the real CLI with
 * `--progress-json`) so keys and redraws stay responsive while a model trains.
 */
import { Box, useApp, useInput, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { promoteArtifact } from '../artifacts/pointer.js';
import type { ModelFactory } from '../models/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { commandArgs, commandLine, runArgs, type RunSetup } from './commands.js';
import type { DatasetName } from '../core/types.js';
import { etlArgs, listDatasets, readCounts, type DatasetChoice } from './datasets.js';
import { earlierRuns, type ResultRow } from './results.js';
import { ResultsScreen, type ResultsScreenProps } from './results-screen.js';
import { startRun, type RunHandle } from './run-process.js';
import { initialRunState, reduceRun, type RunEvent, type RunState } from './run-state.js';
import { RunScreen } from './run-screen.js';
import { forEachKey, SetupScreen } from './setup-screen.js';

export interface AppProps {
  models: readonly ModelFactory[];
  store: ArtifactStore;
  dataDir: string;
  movielensDir?: string | undefined;
  /** Form defaults that replace the schema's (e.g. `workers` from RECSYS_WORKERS). */
  defaultOverrides?: Readonly<Record<string, unknown>>;
  /** Download releases from this mirror instead of GroupLens (`recsys data download --base-url`). */
  baseUrl?: string | undefined;
  /** The environment of child processes; MOVIELENS_DIR is dropped for datasets read from the data dir. */
  env: Record<string, string | undefined>;
}

/** A download's progress in bytes, or why it failed. */
export interface DownloadState {
  done: number;
  total: number | null;
  error: string | null;
}

type Decision = 'pending' | 'promoted' | 'kept' | 'discarded';

interface Finished {
  setup: RunSetup;
  result: Record<string, unknown>;
  earlier: ResultRow[];
  decision: Decision;
  message: string | null;
}

/** Terminal size, updated on resize. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

/**
 * @example render(<App models={Object.values(MODELS)} store={store} dataDir="data" env={processEnv()} />);
 */
export function App(props: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const width = Math.max(40, columns);
  const height = Math.max(12, rows);
  const [screen, setScreen] = useState<'setup' | 'run' | 'results'>('setup');
  const [datasets, setDatasets] = useState<DatasetChoice[] | null>(null);
  const [setup, setSetup] = useState<RunSetup | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [run, setRun] = useState<RunState | null>(null);
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const [now, setNow] = useState(Date.now());
  const [finished, setFinished] = useState<Finished | null>(null);
  const [session, setSession] = useState<(ResultRow & { dataset: string; k: number })[]>([]);
  const handle = useRef<RunHandle | null>(null);
  const preparing = useRef(new Map<string, Promise<void>>());

  const childEnv = useCallback(
    (from: string | null): Record<string, string | undefined> => {
      const env = { ...props.env };
      if (from === null) delete env.MOVIELENS_DIR;
      return env;
    },
    [props.env],
  );

  // Datasets: list them, then convert local ones without counts one at a time in a child process.
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const etlQueue = useRef<Promise<void>>(Promise.resolve());
  const refreshDatasets = useCallback(async () => {
    const fresh = await listDatasets({ dataDir: props.dataDir, movielensDir: props.movielensDir });
    if (!mounted.current) return;
    // Keep the order the screen already shows, so the selection does not jump after a download.
    setDatasets((current) =>
      current ? current.map((d) => fresh.find((f) => f.name === d.name) ?? d) : fresh,
    );
    for (const choice of fresh.filter((d) => d.source && !d.counts && !preparing.current.has(d.name))) {
      const done = etlQueue.current.then(async () => {
        const etl = startRun({
          args: etlArgs(choice, props.dataDir),
          env: childEnv(choice.source?.kind === 'movielens-dir' ? choice.source.dir : null),
          onLine: () => undefined,
        });
        await etl.exited;
        const counts = await readCounts(props.dataDir, choice.name);
        if (!mounted.current) return;
        setDatasets(
          (current) => current?.map((d) => (d.name === choice.name ? { ...d, counts } : d)) ?? null,
        );
      });
      etlQueue.current = done;
      preparing.current.set(choice.name, done);
    }
  }, [props.dataDir, props.movielensDir, childEnv]);
  useEffect(() => {
    void refreshDatasets();
  }, [refreshDatasets]);

  // Downloads of catalogue releases that are not local, each in a child process (`recsys data download`).
  const [downloads, setDownloads] = useState<Record<string, DownloadState>>({});
  const download = useCallback(
    (name: DatasetName) => {
      if (downloads[name] && !downloads[name].error) return;
      const set = (state: DownloadState) => mounted.current && setDownloads((d) => ({ ...d, [name]: state }));
      set({ done: 0, total: null, error: null });
      const child = startRun({
        args: [
          'data',
          'download',
          name,
          '--data-dir',
          props.dataDir,
          ...(props.baseUrl ? ['--base-url', props.baseUrl] : []),
          '--progress-json',
        ],
        env: childEnv(null),
        onLine: (line) => {
          if (line.type === 'progress' && line.unit === 'bytes') {
            set({ done: line.done, total: line.total ?? null, error: null });
          }
        },
      });
      void child.exited.then(async ({ code, stderr }) => {
        if (code !== 0) {
          set({
            done: 0,
            total: null,
            error: stderr.trim().split('\n').pop() ?? `exit code ${String(code)}`,
          });
          return;
        }
        set({ done: 1, total: 1, error: null });
        await refreshDatasets();
      });
    },
    [downloads, props.dataDir, props.baseUrl, childEnv, refreshDatasets],
  );

  // A clock for elapsed time and ETA while a run is live.
  const live =
    run !== null && (run.status === 'starting' || run.status === 'running' || run.status === 'cancelling');
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [live]);

  // The run's state also lives in a ref, so the code that awaits the child reads it without a render.
  const runRef = useRef<RunState | null>(null);
  const dispatch = useCallback((event: RunEvent) => {
    const next = runRef.current ? reduceRun(runRef.current, event, Date.now()) : null;
    runRef.current = next;
    setRun(next);
  }, []);

  const start = useCallback(
    (chosen: RunSetup, chosenTexts: Record<string, string>) => {
      setSetup(chosen);
      setTexts(chosenTexts);
      setFinished(null);
      setView('chart');
      runRef.current = initialRunState(Date.now());
      setRun(runRef.current);
      setScreen('run');
      let cancelled = false;
      // Placeholder until the child exists, so a cancel before it starts still counts.
      handle.current = {
        pid: undefined,
        exited: Promise.resolve({ code: 130, stderr: '' }),
        cancel: () => (cancelled = true),
      };
      void (async () => {
        await preparing.current.get(chosen.dataset);
        if (cancelled) {
          dispatch({ type: 'exit', code: 130, stderr: '' });
          handle.current = null;
          return;
        }
        const child = startRun({
          args: runArgs(chosen),
          env: childEnv(chosen.from),
          onLine: (line) => dispatch({ type: 'line', line }),
        });
        handle.current = child;
        const exit = await child.exited;
        handle.current = null;
        dispatch({ type: 'exit', code: exit.code, stderr: exit.stderr });
        const ended = runRef.current as RunState | null;
        if (ended?.status === 'done' && ended.result) {
          const earlier = await earlierRuns(
            props.store,
            chosen.dataset,
            chosen.k,
            typeof ended.result.version === 'string' ? ended.result.version : null,
          ).catch(() => []);
          setFinished({ setup: chosen, result: ended.result, earlier, decision: 'pending', message: null });
          setScreen('results');
        }
      })();
    },
    [childEnv, dispatch, props.store],
  );

  const quit = useCallback(() => exit(), [exit]);

  const decide = useCallback(
    async (decision: Exclude<Decision, 'pending'>) => {
      if (!finished || finished.decision !== 'pending') return;
      const kind = String(finished.result.kind);
      const version = String(finished.result.version);
      try {
        let message: string;
        if (decision === 'promoted') {
          const { previous } = await promoteArtifact(props.store, finished.setup.model, version);
          message = `promoted: ${kind}/current -> ${version}${previous ? ` (was ${previous})` : ''}`;
        } else if (decision === 'discarded') {
          await props.store.delete(`${kind}/${version}`);
          message = `discarded: ${kind}/${version} deleted`;
        } else {
          message = `kept: ${kind}/${version} saved, current unchanged`;
        }
        setFinished({ ...finished, decision, message });
      } catch (error) {
        setFinished({ ...finished, message: `failed: ${(error as Error).message}` });
      }
    },
    [finished, props.store],
  );

  const newRun = useCallback(() => {
    if (finished && finished.setup.mode !== 'train-and-promote') {
      setSession((rowsSoFar) => [...sessionRows(finished), ...rowsSoFar]);
    }
    runRef.current = null;
    setRun(null);
    setScreen('setup');
  }, [finished]);

  const onKey = (input: string, key: Partial<Key>): void => {
    const ctrlC = key.ctrl && input === 'c';
    const run = runRef.current;
    if (screen === 'run' && run) {
      const running = run.status === 'starting' || run.status === 'running';
      if (input === 'q' || ctrlC) {
        if (running) {
          dispatch({ type: 'cancel' });
          handle.current?.cancel();
        } else if (run.status !== 'cancelling') quit();
      } else if (input === 'v') setView((v) => (v === 'chart' ? 'table' : 'chart'));
      else if (input === 'n' && !running && run.status !== 'cancelling') newRun();
    } else if (screen === 'results') {
      if (input === 'q' || ctrlC) quit();
      else if (input === 'n') newRun();
      else if (finished?.setup.mode === 'train-and-promote') {
        if (input === 'p') void decide('promoted');
        else if (input === 'k') void decide('kept');
        else if (input === 'd') void decide('discarded');
      }
    }
  };
  useInput((input, key) => forEachKey(input, key, onKey), { isActive: screen !== 'setup' });

  return (
    <Box flexDirection="column" width={width} height={height - 1}>
      {screen === 'setup' ? (
        datasets === null ? null : (
          <SetupScreen
            datasets={datasets}
            models={props.models}
            dataDir={props.dataDir}
            defaultOverrides={props.defaultOverrides}
            initial={setup ? { ...setup, texts } : undefined}
            width={width}
            height={height - 1}
            onStart={start}
            onQuit={quit}
            downloads={downloads}
            onDownload={download}
          />
        )
      ) : null}
      {screen === 'run' && run && setup ? (
        <RunScreen
          state={run}
          setup={setup}
          finalIterations={finalIterations(setup, props.models)}
          view={view}
          now={now}
          uiRss={process.memoryUsage().rss}
          width={width}
          height={height - 1}
        />
      ) : null}
      {screen === 'results' && finished ? (
        <ResultsScreen
          {...resultsView(
            finished,
            session.filter((r) => r.dataset === finished.setup.dataset && r.k === finished.setup.k),
          )}
          width={width}
          height={height - 1}
        />
      ) : null}
    </Box>
  );
}

/** Iterations (or epochs) of the final fit of a train-and-promote run, for the ETA: the form's or the default. */
function finalIterations(setup: RunSetup, models: readonly ModelFactory[]): number | null {
  if (setup.mode !== 'train-and-promote') return null;
  // ALS counts iterations, the neural model epochs.
  const defaults = models.find((m) => m.kind === setup.model)?.defaults ?? {};
  for (const name of ['iterations', 'epochs']) {
    const value = setup.hyperparameters[name] ?? defaults[name];
    if (typeof value === 'number') return value;
  }
  return null;
}

const metricsOf = (value: unknown): Record<string, number> =>
  value !== null && typeof value === 'object'
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number'))
    : {};

const clock = (): string => new Date().toISOString().slice(11, 16);

/** The rows an evaluate or tune run adds to this session's comparison. */
function sessionRows(finished: Finished): (ResultRow & { dataset: string; k: number })[] {
  const { setup, result } = finished;
  const base = { dataset: setup.dataset, k: setup.k, current: false };
  if (setup.mode === 'tune') {
    const best = result.best as { trial?: number; test?: unknown } | undefined;
    return [{ ...base, label: `${setup.model} tuned ${clock()}`, metrics: metricsOf(best?.test) }];
  }
  const models = result.models as Record<string, unknown> | undefined;
  return [{ ...base, label: `${setup.model} eval ${clock()}`, metrics: metricsOf(models?.[setup.model]) }];
}

/** `test metrics @10 (seed-temporal split, 817 users), before the fit on all data`. */
function trainSubtitle(split: unknown, k: number): string {
  const text = typeof split === 'string' ? split : '';
  const users = /over (\d+) users/.exec(text)?.[1];
  const protocol = text.split(' ')[0];
  const how = [protocol ? `${protocol} split` : '', users ? `${users} users` : ''].filter(Boolean).join(', ');
  return `test metrics @${k}${how ? ` (${how})` : ''}, before the fit on all data`;
}

/** What the results screen shows for a finished run. */
function resultsView(
  finished: Finished,
  session: readonly ResultRow[],
): Omit<ResultsScreenProps, 'width' | 'height'> {
  const { setup, result } = finished;
  const title = `recsys tui · results · ${setup.mode} · ${setup.model} on ${setup.dataset}`;
  const command = commandLine(commandArgs(setup));
  const others = [...session, ...finished.earlier];
  if (setup.mode === 'tune') {
    const best = result.best as { trial: number; test: unknown } | undefined;
    const defaults = result.defaults as { test: unknown } | undefined;
    const trials =
      (result.trials as {
        trial: number;
        hyperparameters: Record<string, string | number | boolean>;
        validation: Record<string, number>;
      }[]) ?? [];
    const names = Object.keys(trials[0]?.hyperparameters ?? {}).filter(
      (n) => new Set(trials.map((t) => String(t.hyperparameters[n]))).size > 1,
    );
    const bestSetting = names.map(
      (n) => `${setup.model}.${n}=${String(trials.find((t) => t.trial === best?.trial)?.hyperparameters[n])}`,
    );
    return {
      title,
      subtitle: `${trials.length} settings, chosen on validation ${String(result.metric)}; test metrics @${setup.k}`,
      rows: [
        { label: `best (trial ${best?.trial ?? '?'})`, metrics: metricsOf(best?.test), current: true },
        { label: 'defaults (trial 0)', metrics: metricsOf(defaults?.test), current: false },
        ...others,
      ],
      k: setup.k,
      tune: {
        trials: trials.map((t) => ({ ...t, type: 'trial' as const })),
        key: String(result.metric),
        names,
      },
      notes: [`best: ${bestSetting.join(' ') || '(defaults)'}`],
      keys: 'n new run · q quit',
      commands: [command],
    };
  }
  if (setup.mode === 'evaluate') {
    const models = result.models as Record<string, unknown> | undefined;
    const split = result.split as { users_evaluated?: number } | undefined;
    return {
      title,
      subtitle: `${String(result.protocol)} split; test metrics @${setup.k} over ${split?.users_evaluated ?? '?'} users`,
      rows: [
        { label: `${setup.model} (this run)`, metrics: metricsOf(models?.[setup.model]), current: true },
        ...others,
      ],
      k: setup.k,
      notes: ['evaluate runs save nothing; train-and-promote saves an artifact'],
      keys: 'n new run · q quit',
      commands: [command],
    };
  }
  const version = String(result.version);
  const commands = [command];
  if (finished.decision === 'promoted') commands.push(`recsys artifacts promote ${setup.model} ${version}`);
  if (finished.decision === 'discarded' && typeof result.location === 'string')
    commands.push(`rm -r ${result.location}`);
  return {
    title,
    subtitle: trainSubtitle(result.split, setup.k),
    rows: [
      { label: `${setup.model} (this run)`, metrics: metricsOf(result.metrics), current: true },
      ...others,
    ],
    k: setup.k,
    notes: [finished.message ?? `artifact ${setup.model}/${version} saved, not promoted yet`],
    keys:
      finished.decision === 'pending'
        ? 'p promote to current · k keep · d discard · n new run · q quit'
        : 'n new run · q quit',
    commands,
  };
}
