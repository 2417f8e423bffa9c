/**
 * The neural model learns: on planted low-rank data its loss falls and held-out items rank far above
 * popularity, for each loss and both architectures; early stopping keeps the best epoch; nothing leaks per
 * epoch. (The shared cases — seen items, batches, state round trip, scoring graph — run in the conformance
 * suite.)
 */
import { expect, it } from 'vitest';
import { CancelledError, ValidationError } from '../../src/core/errors.js';
import type { NeuralModel } from '../../src/models/neural.js';
import { neuralFactory } from '../../src/models/neural.js';
import type { EpochReport } from '../../src/models/types.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend } from '../support/backends.js';
import { hitRate, lowRankImplicitFixture, popularityTopK } from './als-fixtures.js';

const data = lowRankImplicitFixture({ users: 300, items: 120, perUser: 12, rank: 4, seed: 5 });
const { user, item } = data.heldOut;

describeEachBackend(
  'neural model',
  () => {
    const popularityHits = hitRate(popularityTopK(data.train.userItems, user, 10), item);

    for (const settings of [
      { loss: 'softmax', epochs: 30, learningRate: 0.02, factors: 16 },
      // The default L2 is the softmax loss's; a sampled loss's per-example penalty wants far less.
      { loss: 'bce', epochs: 12, learningRate: 0.01, factors: 16, l2: 0.0001 },
      { loss: 'bpr', epochs: 12, learningRate: 0.01, factors: 16, l2: 0.0001 },
      {
        architecture: 'neumf',
        loss: 'bce',
        epochs: 12,
        learningRate: 0.01,
        factors: 16,
        hidden: 32,
        l2: 0.0001,
      },
    ]) {
      it(`learns the planted taste: ${JSON.stringify(settings)}`, async () => {
        const recalls: number[] = [];
        const model = neuralFactory.create(
          neuralFactory.parseHyperparameters({ ...settings, patience: 1000, seed: 3 }),
        ) as NeuralModel;
        const epochs: EpochReport[] = [];
        await model.fit(data.train, {
          onEpoch: (e) => epochs.push(e),
          validate: async () => {
            recalls.push(hitRate(await model.recommend(user, 10), item));
            return recalls.at(-1)!;
          },
        });
        // Training improves: the loss at the end is well below the first epoch's, and so is the held-out recall.
        expect(epochs.at(-1)!.loss!).toBeLessThan(0.97 * epochs[0]!.loss!);
        expect(Math.max(...recalls)).toBeGreaterThan(recalls[0]! + 0.1);
        const hits = hitRate(await model.recommend(user, 10), item);
        expect(hits).toBeGreaterThan(2 * popularityHits);
        expect(hits).toBeGreaterThan(0.3);
        for (const e of epochs) expect(e.metrics!.examplesPerSecond).toBeGreaterThan(0);
        model.dispose();
      });
    }

    it('stops after `patience` epochs without a better validation score and keeps the best epoch', async () => {
      // The caller's figures, scripted: best at epoch 2, then three epochs no better.
      const scores = [0.1, 0.3, 0.2, 0.25, 0.3, 0.9];
      const model = neuralFactory.create({ epochs: 10, patience: 3, factors: 8, seed: 2 }) as NeuralModel;
      let call = 0;
      let atBest: number[] = [];
      const epochs: EpochReport[] = [];
      const report = await model.fit(data.train, {
        onEpoch: (e) => epochs.push(e),
        validate: async () => {
          if (call === 1) atBest = Array.from((await model.recommend(user.subarray(0, 20), 5)).ids);
          return scores[call++]!;
        },
      });
      expect(epochs.length).toBe(5);
      expect(epochs.map((e) => e.metrics!.validation)).toEqual(scores.slice(0, 5));
      expect(report.bestEpoch).toBe(2);
      // The model answers with epoch 2's weights.
      expect(Array.from((await model.recommend(user.subarray(0, 20), 5)).ids)).toEqual(atBest);
      model.dispose();
    });

    for (const architecture of ['mf', 'neumf'] as const) {
      it(`leaves the same number of tensors after every epoch and none after dispose (${architecture}, bce: lazy Adam)`, async () => {
        const before = tf.memory().numTensors;
        const counts: number[] = [];
        const model = neuralFactory.create({ architecture, loss: 'bce', epochs: 4, factors: 8, hidden: 8 });
        await model.fit(data.train, { onEpoch: () => counts.push(tf.memory().numTensors) });
        expect(new Set(counts).size).toBe(1);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('cancels between steps when the signal aborts, leaving no tensor behind', async () => {
      const before = tf.memory().numTensors;
      const controller = new AbortController();
      const model = neuralFactory.create({ loss: 'bce', epochs: 50, factors: 8, batchSize: 64 });
      const fit = model.fit(data.train, { signal: controller.signal, onEpoch: () => controller.abort() });
      await expect(fit).rejects.toThrow(CancelledError);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  },
  ['wasm'],
);

it('refuses neumf with the softmax loss, naming the field', () => {
  expect(() => neuralFactory.create({ architecture: 'neumf', loss: 'softmax' })).toThrow(ValidationError);
  expect(() => neuralFactory.create({ architecture: 'neumf', loss: 'softmax' })).toThrow(/^neural\.loss: /);
});
