/**
 * The load of `npm run bench:api`, in a process of its own so the client's speed does not depend on the
 * bench's heap (datasets, TF.js, training): autocannon against `GET /users/{random id}/recommendations?k=10`.
 * Usage: `node --import tsx bench/load-generator.ts <base url> <connections> <seconds> <users>`; prints
 * autocannon's result as one line of JSON.
 */
import autocannon from 'autocannon';
import { createRng } from '../src/core/rng.js';

const [base, connections, seconds, users] = process.argv.slice(2);
const rng = createRng(20261125);
const result = await autocannon({
  url: String(base),
  connections: Number(connections),
  duration: Number(seconds),
  requests: [
    {
      setupRequest: (req) => ({ ...req, path: `/users/${rng.int(Number(users)) + 1}/recommendations?k=10` }),
    },
  ],
});
process.stdout.write(`${JSON.stringify(result)}\n`);
