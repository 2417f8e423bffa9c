/**
 * Training runs off the UI thread: each run is the real `recsys` CLI in a child process with
 * `--progress-json`, whose stdout lines become run events. Cancelling sends SIGTERM, which the CLI turns into
 * an AbortSignal (the fit stops at its next step, nothing is saved); SIGKILL follows only if it hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseRunLine, type RunLine } from './run-state.js';

/** The `recsys` entry point beside this package (bin/recsys.js), which runs the TypeScript sources. */
export const RECSYS_BIN = fileURLToPath(new URL('../../bin/recsys.js', import.meta.url));

/** Most bytes of the child's stderr kept for the failure message. */
const STDERR_KEEP = 8192;

export interface RunHandle {
  /** The child's pid (for the status line). */
  readonly pid: number | undefined;
  /** Asks the run to stop (SIGTERM; SIGKILL after `killAfterMs` if it has not exited). */
  cancel(): void;
  /** Resolves with the exit code (null when killed by a signal) and the end of stderr. */
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

export interface StartRunOptions {
  /** The command's arguments after `recsys`, e.g. ['train', '--model', 'als', '--progress-json']. */
  args: readonly string[];
  /** The child's environment (default: this process's). */
  env?: Record<string, string | undefined>;
  onLine(line: RunLine): void;
  /** Milliseconds between SIGTERM and SIGKILL (default 30 s). */
  killAfterMs?: number;
}

/**
 * Starts `node bin/recsys.js <args>` and reports each JSON line of its stdout.
 * @example const run = startRun({ args: ['evaluate', '--models', 'als', '--progress-json'], onLine: console.log });
 */
export function startRun(options: StartRunOptions): RunHandle {
  const child: ChildProcess = spawn(process.execPath, [RECSYS_BIN, ...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  let stderr = '';
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = parseRunLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (line) options.onLine(line);
      newline = pending.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, stderr: `${stderr}\n${error.message}` }));
    child.on('close', (code) => {
      if (killTimer) clearTimeout(killTimer);
      const last = parseRunLine(pending);
      if (last) options.onLine(last);
      resolve({ code, stderr });
    });
  });
  return {
    pid: child.pid,
    exited,
    cancel: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
    },
  };
}

/**
 * Runs a short `recsys` command to completion and parses its stdout as one JSON document (e.g.
 * `data stats <name> --json`); rejects with the end of stderr when it fails.
 * @example const stats = await runJsonCommand(['data', 'stats', 'ml-100k', '--json']);
 */
export function runJsonCommand(
  args: readonly string[],
  env?: Record<string, string | undefined>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RECSYS_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-STDERR_KEEP)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(err.trim().split('\n').pop() ?? `exit code ${String(code)}`));
        return;
      }
      try {
        resolve(JSON.parse(out));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}
