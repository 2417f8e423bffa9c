import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { BACKEND_ORDER, initBackend, installedBackends } from '../../src/tf/backend.js';
import { tf } from '../../src/tf/tf.js';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  let text = '';
  const stream = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream;
  return {
    logger: createLogger({ level: 'debug', json: true, stream }),
    lines: () => text.trim().split('\n'),
  };
}

describe('TF.js backend selection', () => {
  it('chooses the fastest installed backend, logs it with its flags and why each faster one was skipped', async () => {
    const installed = await installedBackends();
    // The pure-JS and WASM backends are regular dependencies; the native ones are optional.
    expect(installed).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    expect(installed).toEqual(BACKEND_ORDER.filter((name) => installed.includes(name)));
    const { logger, lines } = capturingLogger();
    const choice = await initBackend('auto', logger);
    expect(choice.name).toBe(installed[0]);
    expect(tf.getBackend()).toBe(choice.tfName);
    const skipped = BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(choice.name));
    expect(choice.skipped.map((s) => s.name)).toEqual(skipped);
    for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    const logged = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((entry) => entry.msg === 'tf backend chosen')).toEqual([
      expect.objectContaining({ backend: choice.name, ...choice.flags }),
    ]);
    expect(logged.filter((entry) => entry.msg === 'tf backend skipped')).toHaveLength(skipped.length);
    if (choice.name === 'wasm') expect(choice.flags).toHaveProperty('simd');
  });

  it('honours a forced backend and refuses one that is not installed, naming it', async () => {
    const forced = await initBackend('cpu');
    expect(forced.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const installed = await installedBackends();
    const missing = BACKEND_ORDER.find((name) => !installed.includes(name));
    if (missing) {
      await expect(initBackend(missing)).rejects.toThrow(BackendError);
      await expect(initBackend(missing)).rejects.toThrow(new RegExp(missing));
    }
    const back = await initBackend('wasm');
    expect(back.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
