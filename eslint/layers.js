// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/**
 * Layer ranks: a module may import from layers of a lower rank (and its own). Kept in one place so that
 * docs/architecture.md, the lint rule and its test agree.
 * @type {Record<string, number>}
 */
export const LAYER_RANK = {
  core: 0,
  data: 1,
  dataset: 2,
  tf: 3,
  storage: 3,
  models: 4,
  eval: 5,
  artifacts: 5,
  db: 5,
  training: 6,
  config: 6,
  serving: 7,
  api: 8,
  tui: 9,
  // The CLI starts the TUI (`recsys tui`), so it sits one above it.
  cli: 10,
  index: 10,
};

/**
 * The layer a path under src/ belongs to (its first folder, or 'config'/'index' for those top-level files).
 * @param {string} file
 * @returns {string | undefined}
 */
export function layerOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const first = rel.split(path.sep)[0] ?? '';
  const name = first.replace(/\.(ts|tsx|js)$/, '');
  return name in LAYER_RANK ? name : undefined;
}
