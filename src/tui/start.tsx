/**
 * Starts the TUI on the terminal: the app on the alternate screen (the shell's screen comes back on exit),
 * Ctrl-C handled by the app (it cancels a run first), resolved when the user quits.
 */
import { render } from 'ink';
import { getModelFactory, REGISTERED_KINDS } from '../models/registry.js';
import type { ArtifactStore } from '../storage/types.js';
import { App } from './app.js';

export interface TuiOptions {
  store: ArtifactStore;
  dataDir: string;
  movielensDir?: string | undefined;
  /** Threads a model that trains on worker threads gets by default (RECSYS_WORKERS). */
  workers: number;
  /** Download releases from this mirror instead of GroupLens. */
  baseUrl?: string | undefined;
  /** The environment the training processes get. */
  env: Record<string, string | undefined>;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Runs the TUI until the user quits. Needs a TTY on stdin and stdout (the CLI checks).
 * @example await runTui({ store: createStore('./artifacts'), dataDir: './data', workers: 2, env: processEnv() });
 */
export async function runTui(options: TuiOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  stdout.write('\x1b[?1049h\x1b[H');
  try {
    const instance = render(
      <App
        models={REGISTERED_KINDS.map((kind) => getModelFactory(kind))}
        store={options.store}
        dataDir={options.dataDir}
        movielensDir={options.movielensDir}
        defaultOverrides={{ workers: options.workers }}
        env={options.env}
        baseUrl={options.baseUrl}
      />,
      { stdout, ...(options.stdin ? { stdin: options.stdin } : {}), exitOnCtrlC: false },
    );
    await instance.waitUntilExit();
  } finally {
    stdout.write('\x1b[?1049l');
  }
}
