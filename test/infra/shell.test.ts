import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { hasCommand, repositoryFiles, ROOT, run } from './support.js';

/** Every shell script of the repository (by extension or shebang) passes shellcheck. */

function shellScripts(): string[] {
  return repositoryFiles().filter((file) => {
    if (/\.(sh|bash)$/.test(file)) return true;
    if (file.includes('node_modules/') || /\.(ts|js|mjs|json|md|ya?ml|tf)$/.test(file)) return false;
    const head = fs.readFileSync(path.join(ROOT, file)).subarray(0, 64).toString('utf8');
    return /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba|da)?sh\b/.test(head);
  });
}

const HAS_SHELLCHECK = hasCommand('shellcheck');

it.skipIf(!HAS_SHELLCHECK)('shellcheck passes on every shell script', () => {
  const scripts = shellScripts();
  expect(scripts).toContain('.ci/run');
  const result = run('shellcheck', ['--severity=style', ...scripts]);
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
});

it.skipIf(HAS_SHELLCHECK)(
  'shellcheck: SKIPPED because shellcheck is not on PATH (apt-get install shellcheck)',
  () => {
    expect(HAS_SHELLCHECK).toBe(false);
  },
);
