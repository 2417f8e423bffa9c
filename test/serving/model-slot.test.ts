import { describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import { popularityFactory } from '../../src/models/popularity.js';
import type { Recommender } from '../../src/models/types.js';
import { DEFAULT_HISTORY_POLICY } from '../../src/serving/history.js';
import { ModelSlot } from '../../src/serving/model-slot.js';
import type { ServableModel } from '../../src/serving/ports.js';

async function servable(version: string, disposed: string[]): Promise<ServableModel> {
  const users = createIdEncoder([1, 2, 3]);
  const items = createIdEncoder([10, 20, 30]);
  const model: Recommender = popularityFactory.create();
  await model.fit({
    users,
    items,
    userItems: buildCsr(3, 3, Int32Array.of(0, 1, 2, 2), Int32Array.of(0, 0, 1, 2)),
  });
  // Record disposal on the real model so the test sees exactly when the slot lets it go.
  const dispose = model.dispose.bind(model);
  model.dispose = () => {
    disposed.push(version);
    dispose();
  };
  return {
    model,
    kind: 'popularity',
    version,
    loadedAt: new Date(),
    seen: null,
    historyPolicy: DEFAULT_HISTORY_POLICY,
  };
}

describe('ModelSlot', () => {
  it('is empty until a model is swapped in', () => {
    const slot = new ModelSlot();
    expect(slot.current).toBeUndefined();
    expect(slot.acquire()).toBeUndefined();
  });

  it('gives new requests the new model at once and disposes the old one only after its last lease', async () => {
    const disposed: string[] = [];
    const slot = new ModelSlot();
    slot.swap(await servable('v1', disposed));
    const inFlightA = slot.acquire()!;
    const inFlightB = slot.acquire()!;
    slot.swap(await servable('v2', disposed));

    expect(slot.current?.version).toBe('v2');
    expect(slot.acquire()?.loaded.version).toBe('v2');
    // The old model still answers the requests that hold it.
    const top = await inFlightA.loaded.model.recommend(Int32Array.of(0), 2);
    expect(top.ids.length).toBe(2);
    expect(disposed).toEqual([]);

    inFlightA.release();
    inFlightA.release(); // idempotent: must not count twice
    expect(disposed).toEqual([]);
    inFlightB.release();
    expect(disposed).toEqual(['v1']);
  });

  it('disposes an idle model at once on swap, and each model only once', async () => {
    const disposed: string[] = [];
    const slot = new ModelSlot();
    slot.swap(await servable('v1', disposed));
    slot.swap(await servable('v2', disposed));
    expect(disposed).toEqual(['v1']);
    const lease = slot.acquire()!;
    slot.clear();
    expect(slot.current).toBeUndefined();
    expect(disposed).toEqual(['v1']);
    lease.release();
    lease.release();
    expect(disposed).toEqual(['v1', 'v2']);
  });
});
