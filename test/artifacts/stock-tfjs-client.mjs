// A TF.js user's view of a recsys artifact, as a browser would have it: this script imports nothing but
// @tensorflow/tfjs and reads the artifact over HTTP. Usage: node stock-tfjs-client.mjs <base url> <kind>
// <raw user id>... It prints JSON: for each user, the top 10 raw movie ids by the Layers model's scores
// (their rated movies left out) and the scores of the 30 best, for tie checks.
/* global fetch */
import * as tf from '@tensorflow/tfjs';

const [base, kind, ...users] = process.argv.slice(2);
const url = `${base}/${kind}/${(await (await fetch(`${base}/${kind}/current`)).text()).trim()}`;
const manifest = await (await fetch(`${url}/manifest.json`)).json();
const model = await tf.loadLayersModel(`${url}/model.json`);
// The state beside the model is in TF.js's weights format too: ids, every rated item, the model's inputs.
const state = await (await fetch(`${url}/state.json`)).json();
const weights = await tf.io.loadWeights(state.weightsManifest, url);
const array = async (name) => (weights[name] ? await weights[name].data() : null);
const userIds = await array('ids/users');
const itemIds = await array('ids/items');
const seenIndptr = await array('seen/indptr');
const seenIndices = await array('seen/indices');
const historyIndptr = await array('model/userItemsIndptr');
const historyIndices = await array('model/userItemsIndices');
const historyValues = await array('model/userItemsValues');
const nItems = itemIds.length;

const out = {};
for (const raw of users.map(Number)) {
  const u = userIds.indexOf(raw);
  let input;
  if (manifest.scoring.input === 'user') input = tf.tensor2d([[u]]);
  else if (manifest.scoring.input === 'history') {
    const row = new Float32Array(nItems);
    for (let p = historyIndptr[u]; p < historyIndptr[u + 1]; p++) row[historyIndices[p]] = historyValues[p];
    input = tf.tensor2d(row, [1, nItems]);
  } else {
    input = [tf.fill([nItems, 1], u), tf.range(0, nItems).reshape([nItems, 1])];
  }
  const scores = Float32Array.from(await model.predict(input).data());
  for (let p = seenIndptr[u]; p < seenIndptr[u + 1]; p++) scores[seenIndices[p]] = -Infinity;
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  out[raw] = {
    top: order.slice(0, 10).map((i) => itemIds[i]),
    scores: Object.fromEntries(order.slice(0, 30).map((i) => [itemIds[i], scores[i]])),
  };
}
console.log(JSON.stringify({ backend: tf.getBackend(), input: manifest.scoring.input, users: out }));
