"""Executes Jupyter notebooks headless with nbclient (the engine of `jupyter nbconvert --execute`).

    python3 scripts/notebooks-execute.py [--inplace | --output-dir DIR] NOTEBOOK...

Fails (exit 1) on the first cell that errs in each notebook and prints that cell's outputs: tslab reports
type errors on stderr with an empty error reply, which nbconvert alone would show as a bare "<Error>".
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def output_text(output):
    if output.get('output_type') == 'stream':
        return output.get('text', '')
    if output.get('output_type') == 'error':
        return '\n'.join(output.get('traceback') or [f"{output.get('ename')}: {output.get('evalue')}"])
    return ''


def execute(path, inplace, output_dir, kernel, timeout):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, startup_timeout=180,
                            resources={'metadata': {'path': str(Path(path).parent)}})
    current = {'index': None}
    client.on_cell_start = lambda cell, cell_index: current.update(index=cell_index)
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError:
        index = current['index']
        failed = nb.cells[index] if index is not None else None
        print(f'FAILED: {path}, cell {index} ({time.monotonic() - started:.0f} s)', file=sys.stderr)
        if failed is not None:
            print('--- cell source (first lines)', file=sys.stderr)
            print('\n'.join(failed.source.splitlines()[:8]), file=sys.stderr)
            print('--- cell output', file=sys.stderr)
            print(''.join(output_text(o) for o in failed.outputs)[-4000:], file=sys.stderr)
        return False
    target = Path(path) if inplace else Path(output_dir) / Path(path).name
    nbformat.write(nb, str(target))
    print(f'ok: {path} ({time.monotonic() - started:.0f} s)')
    return True


def main():
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--inplace', action='store_true', help='save the outputs into the notebooks')
    where.add_argument('--output-dir', help='write executed copies here')
    parser.add_argument('--kernel', default='tslab')
    parser.add_argument('--timeout', type=int, default=900, help='seconds per cell')
    parser.add_argument('notebooks', nargs='+')
    args = parser.parse_args()
    results = [execute(nb, args.inplace, args.output_dir, args.kernel, args.timeout) for nb in args.notebooks]
    sys.exit(0 if all(results) else 1)


if __name__ == '__main__':
    main()
