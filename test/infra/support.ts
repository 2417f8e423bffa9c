import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (tests run from it). */
export const ROOT = process.cwd();

/** Whether a command is on PATH; the infrastructure checks that need it are skipped (with the reason) if not. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command in the repository root and returns stdout, stderr and the exit status. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Files git tracks plus the untracked ones it does not ignore: what a commit would publish. */
export function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return (
    out
      .split('\0')
      .filter((f) => f !== '')
      // Regular files only (a symlinked folder, e.g. node_modules in a scratch clone, is not a file to scan).
      .filter((f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile())
  );
}

export const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
