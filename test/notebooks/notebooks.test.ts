import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run notebooks:test` (scripts/notebooks.sh test) must fail when a notebook cell fails. Copies of a real
 * notebook, cut after its first code cell (so the kernel does little work), run through the same script: the
 * untouched copy passes, a copy with a type error and one that throws at run time fail, and the script
 * exits non-zero naming each failed notebook.
 */

const ROOT = process.cwd();
const PYTHON = process.env.NOTEBOOKS_PYTHON ?? '/usr/bin/python3';
const hasJupyter =
  spawnSync(PYTHON, ['-c', 'import nbclient, jupyter_client, ipykernel, zmq'], { stdio: 'ignore' }).status ===
  0;

interface Notebook {
  cells: { cell_type: string; source: string[] | string; outputs?: unknown[] }[];
  [key: string]: unknown;
}

const sourceOf = (cell: Notebook['cells'][number]): string =>
  Array.isArray(cell.source) ? cell.source.join('') : cell.source;

describe.skipIf(!hasJupyter)(
  `notebooks:test fails on a broken notebook${hasJupyter ? '' : ` (skipped: no Jupyter in ${PYTHON}; apt-get install jupyter-nbconvert jupyter-client python3-ipykernel jupyter-core python3-zmq)`}`,
  () => {
    let dir = '';
    let run: { status: number | null; stdout: string; stderr: string };
    const files = { intact: '', typeError: '', throws: '' };

    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-notebooks-test-'));
      const original = JSON.parse(
        await fs.readFile(path.join(ROOT, 'notebooks-ts', '01_etl.ipynb'), 'utf8'),
      ) as Notebook;
      const firstCode = original.cells.findIndex((c) => c.cell_type === 'code');
      const code = sourceOf(original.cells[firstCode]!);
      expect(code).toContain('resolveSourceDir(');
      const copy = (source: string): Notebook => ({
        ...original,
        cells: [
          ...original.cells.slice(0, firstCode),
          { ...original.cells[firstCode]!, source, outputs: [] },
        ],
      });
      const write = async (name: string, notebook: Notebook): Promise<string> => {
        const file = path.join(dir, name);
        await fs.writeFile(file, JSON.stringify(notebook));
        return file;
      };
      files.intact = await write('intact.ipynb', copy(code));
      // A misspelt function: tslab's type check refuses the cell before it runs.
      files.typeError = await write(
        'type-error.ipynb',
        copy(code.replace('resolveSourceDir(', 'resolveSourceDirectory(')),
      );
      // A cell that type-checks and throws at run time.
      files.throws = await write(
        'throws.ipynb',
        copy(`${code}\nthrow new Error('deliberately broken cell');\n`),
      );
      const result = spawnSync(
        'bash',
        ['scripts/notebooks.sh', 'test', files.intact, files.typeError, files.throws],
        { cwd: ROOT, encoding: 'utf8', timeout: 540_000 },
      );
      run = { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }, 600_000);

    afterAll(async () => {
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it('passes the untouched copy', () => {
      expect(run.stdout, run.stderr).toContain(`ok: ${files.intact}`);
    });

    it('fails on a type error and names the cell and the error', () => {
      expect(run.stderr).toContain(`FAILED: ${files.typeError}`);
      expect(run.stderr).toContain("Cannot find name 'resolveSourceDirectory'");
    });

    it('fails on an exception at run time', () => {
      expect(run.stderr).toContain(`FAILED: ${files.throws}`);
      expect(run.stderr).toContain('deliberately broken cell');
    });

    it('exits non-zero', () => {
      expect(run.status).toBe(1);
    });
  },
);
