#!/usr/bin/env bash
# The notebooks in notebooks-ts/ on a Jupyter from Debian's packages with this checkout's tslab kernel.
#
#   scripts/notebooks.sh setup            register the kernel for this checkout (.jupyter/, git-ignored) and
#                                         emit the declarations its type checker reads (data/notebooks/types)
#   scripts/notebooks.sh test [nb ...]    execute notebooks headless into a temp folder; fails on any cell error
#   scripts/notebooks.sh run [nb ...]     execute and save the outputs into the notebooks (to commit them)
#   scripts/notebooks.sh open             start Jupyter on notebooks-ts/ (needs jupyter-notebook or jupyterlab)
#
# Without notebook arguments, test and run take every notebooks-ts/*.ipynb in name order.
# NOTEBOOKS_PYTHON: the Python that has Jupyter (default /usr/bin/python3, where Debian installs it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${NOTEBOOKS_PYTHON:-/usr/bin/python3}"
TYPES_DIR="$ROOT/data/notebooks/types"
export JUPYTER_PATH="$ROOT/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

die() {
  echo "notebooks: $*" >&2
  exit 1
}

check_jupyter() {
  if ! "$PY" -c 'import nbconvert, jupyter_client, ipykernel, zmq' 2>/dev/null; then
    die "no Jupyter in $PY. Install Debian's: apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client python3-ipykernel jupyter-core python3-zmq (or set NOTEBOOKS_PYTHON)"
  fi
  [ -x "$ROOT/node_modules/.bin/tslab" ] || die "tslab is not installed: run npm ci first"
}

# Registers kernels 'tslab' (TypeScript) and 'jslab' under .jupyter/, started by scripts/notebooks-kernel.sh.
setup() {
  check_jupyter
  "$ROOT/node_modules/.bin/tslab" install --python "$PY" --binary "$ROOT/scripts/notebooks-kernel.sh" \
    --prefix "$ROOT/.jupyter" >/dev/null
  build_types
  echo "notebooks: tslab kernel registered in $ROOT/.jupyter; declarations in $TYPES_DIR"
}

# Declarations of notebooks-ts/lib (and through it src/) for the kernel's type checker: tslab checks every
# .ts file a cell imports with its own TypeScript and settings, which cannot resolve some of our packages'
# export maps; declaration files it takes as they are (notebooks-ts/lib/recsys.d.ts points here).
build_types() {
  # Type errors are the typecheck step's business (npm run typecheck); tsc emits declarations regardless.
  rm -rf "$TYPES_DIR"
  mkdir -p "$TYPES_DIR"
  (cd "$ROOT" && npx tsc -p notebooks-ts/tsconfig.types.json >"$TYPES_DIR/tsc.log" 2>&1) || true
  [ -f "$TYPES_DIR/notebooks-ts/lib/index.d.ts" ] || {
    cat "$TYPES_DIR/tsc.log" >&2
    die "declarations were not emitted into $TYPES_DIR"
  }
}

notebooks() {
  if [ "$#" -gt 0 ]; then
    printf '%s\n' "$@"
  else
    ls "$ROOT"/notebooks-ts/*.ipynb
  fi
}

execute() {
  local mode="$1"
  shift
  setup >/dev/null
  local where=(--inplace)
  if [ "$mode" = test ]; then
    OUT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/recsys-notebooks-XXXXXX")"
    trap 'rm -rf "$OUT_DIR"' EXIT
    where=(--output-dir "$OUT_DIR")
  fi
  local list=()
  mapfile -t list < <(notebooks "$@")
  "$PY" "$ROOT/scripts/notebooks-execute.py" "${where[@]}" "${list[@]}"
}

open_jupyter() {
  setup
  cd "$ROOT"
  if "$PY" -c 'import jupyterlab' 2>/dev/null; then
    exec "$PY" -m jupyter lab --notebook-dir="$ROOT/notebooks-ts"
  elif "$PY" -c 'import notebook' 2>/dev/null; then
    exec "$PY" -m jupyter notebook --notebook-dir="$ROOT/notebooks-ts"
  fi
  die "no Jupyter front end in $PY: apt-get install jupyter-notebook (or pip install jupyterlab), then run again"
}

case "${1:-}" in
  setup) setup ;;
  test) shift; execute test "$@" ;;
  run) shift; execute run "$@" ;;
  open) open_jupyter ;;
  *) die "usage: scripts/notebooks.sh setup | test [notebook ...] | run [notebook ...] | open" ;;
esac
