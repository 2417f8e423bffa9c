// @ts-check
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { LAYER_RANK, layerOf } from './eslint/layers.js';

/**
 * Imports point down only (docs/architecture.md): a module may import its own layer and the layers ranked
 * below it. The rule resolves relative imports against the importing file, so it needs no path aliases.
 * @type {import('eslint').Rule.RuleModule}
 */
const importDirection = {
  meta: { type: 'problem', schema: [], messages: { up: "layer '{{from}}' may not import from '{{to}}'" } },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const check = (/** @type {any} */ node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), spec));
      if (to === undefined || to === from) return;
      if ((LAYER_RANK[to] ?? 0) >= (LAYER_RANK[from] ?? 0)) {
        context.report({ node, messageId: 'up', data: { from, to } });
      }
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'artifacts', 'coverage', 'src/db/generated', '.tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { recsys: { rules: { 'import-direction': importDirection } } },
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      'recsys/import-direction': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Every random choice takes a seed: use createRng from src/core/rng.ts.',
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config.ts reads process.env.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/tf/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@tensorflow/*'], message: 'Import tf from src/tf/ only.' }] },
      ],
    },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts', 'prisma.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
