import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = path.resolve(process.cwd(), 'bin', 'recsys.js');

/** The MovieLens releases the tests read. */
export const SHARED_MOVIELENS = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/**
 * Runs `node bin/recsys.js <args>` as a real process on the WASM backend; its exit code and output, whether it
 * succeeded or not.
 * @example const { code, stdout } = await recsys(['evaluate', '--dataset', 'ml-100k', '--json']);
 */
export async function recsys(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, RECSYS_TF_BACKEND: 'wasm', LOG_LEVEL: 'warn' },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
