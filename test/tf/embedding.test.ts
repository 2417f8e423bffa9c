/**
 * The trainable lookups: `lookupRows`' gradient sums repeated rows (scatterND), and `pairDot`'s hand-written
 * gradient equals autodiff's of sum(users[:, None] * items, -1).
 */
import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { lookupRows, pairDot } from '../../src/tf/embedding.js';
import '../../src/tf/layers.js';
import { tf, type Tensor } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';
import { maxAbsDiff } from './linalg-reference.js';

describeEachBackend('trainable lookups', () => {
  it('pairDot: values and gradients equal the broadcast product summed, without leaking', async () => {
    const rng = createRng(6);
    const [b, k, f] = [4, 3, 5];
    const users = tf.tensor2d(
      Float32Array.from({ length: b * f }, () => rng.normal()),
      [b, f],
    );
    const items = tf.tensor3d(
      Float32Array.from({ length: b * k * f }, () => rng.normal()),
      [b, k, f],
    );
    const weights = tf.tensor2d(
      Float32Array.from({ length: b * k }, () => rng.normal()),
      [b, k],
    );
    const reference = (u: Tensor, v: Tensor) => tf.sum(tf.mul(tf.reshape(u, [b, 1, f]), v), 2);
    const loss = (dot: (u: Tensor, v: Tensor) => Tensor) => (u: Tensor, v: Tensor) =>
      tf.sum(tf.mul(dot(u, v), weights));
    let figures: Float32Array[] = [];
    const leaked = await tensorsLeakedBy(() => {
      const mine = tf.valueAndGrads(loss(pairDot))([users, items]);
      const theirs = tf.valueAndGrads(loss(reference))([users, items]);
      figures = [mine.value, theirs.value, ...mine.grads, ...theirs.grads].map((t) =>
        Float32Array.from(t.dataSync()),
      );
      tf.dispose([mine.value, theirs.value, ...mine.grads, ...theirs.grads]);
    });
    expect(leaked).toBe(0);
    const [value, refValue, gu, gv, refGu, refGv] = figures as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    expect(Math.abs((value[0] as number) - (refValue[0] as number))).toBeLessThan(1e-4);
    expect(gu.length).toBe(b * f);
    expect(gv.length).toBe(b * k * f);
    expect(maxAbsDiff(gu, refGu)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gv, refGv)).toBeLessThan(1e-4);
    tf.dispose([users, items, weights]);
  });

  it('lookupRows: the gradient of a repeated row is the sum of its uses', async () => {
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const indices = tf.tensor1d([2, 0, 2], 'int32');
    const grad = tf.grad((t: Tensor) =>
      tf.sum(
        tf.mul(
          lookupRows(t as never, indices),
          tf.tensor2d([
            [1, 1],
            [2, 2],
            [3, 3],
          ]),
        ),
      ),
    )(table);
    expect(Array.from(await grad.data())).toEqual([2, 2, 0, 0, 4, 4]);
    tf.dispose([table, indices, grad]);
  });
});
