#!/usr/bin/env bash
# The command Jupyter starts for this checkout's tslab kernel (registered by `scripts/notebooks.sh setup`):
# tslab under Node with tsx loaded, so notebook cells can import the project's TypeScript sources (src/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
exec node --import "$ROOT/node_modules/tsx/dist/loader.mjs" --import "$ROOT/scripts/notebooks-kernel-preload.mjs" "$ROOT/node_modules/tslab/bin/tslab" "$@"
