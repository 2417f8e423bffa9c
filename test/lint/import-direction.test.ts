import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function messagesFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.resolve(file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint rules of the architecture', () => {
  it('refuses an import that points up the layers', async () => {
    const messages = await messagesFor(
      'src/core/probe.ts',
      "import { x } from '../models/types.js';\nexport const y = x;\n",
    );
    expect(messages.some((m) => m.includes("layer 'core' may not import from 'models'"))).toBe(true);
  });

  it('accepts an import that points down', async () => {
    const messages = await messagesFor(
      'src/models/probe.ts',
      "import { createRng } from '../core/rng.js';\nexport const y = createRng(1);\n",
    );
    expect(messages.filter((m) => m.startsWith('recsys/'))).toEqual([]);
  });

  it('refuses process.env outside src/config.ts and @tensorflow imports outside src/tf', async () => {
    const env = await messagesFor('src/data/probe.ts', 'export const y = process.env.HOME;\n');
    expect(env.some((m) => m.includes('Only src/config.ts reads process.env'))).toBe(true);
    const tf = await messagesFor(
      'src/models/probe.ts',
      "import * as tf from '@tensorflow/tfjs-core';\nexport const y = tf;\n",
    );
    expect(tf.some((m) => m.includes('Import tf from src/tf/ only'))).toBe(true);
  });

  it('refuses Math.random', async () => {
    const messages = await messagesFor('src/dataset/probe.ts', 'export const y = Math.random();\n');
    expect(messages.some((m) => m.includes('takes a seed'))).toBe(true);
  });
});
