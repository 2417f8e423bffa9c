import { execFile } from 'node:child_process';

/**
 * The environment of this process without what would point a child `recsys` at the developer's own setup
 * (RECSYS_*, DATABASE_URL, MOVIELENS_DIR, PORT, HOST, LOG_*, STORAGE_EMULATOR_HOST).
 */
export function cleanEnv(): Record<string, string | undefined> {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (/^(RECSYS_|DATABASE_URL$|MOVIELENS_DIR$|PORT$|HOST$|LOG_|STORAGE_EMULATOR_HOST$)/.test(name))
      delete base[name];
  }
  return base;
}

/**
 * Runs `node bin/recsys.js <args>` with `cleanEnv()` plus `env`; its exit code and output, whether it
 * succeeded or not.
 * @example const { code, stdout } = await runRecsys(['data', 'etl', 'ml-100k'], { RECSYS_DATA_DIR: dir });
 */
export function runRecsys(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/recsys.js', ...args],
      { env: { ...cleanEnv(), ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
