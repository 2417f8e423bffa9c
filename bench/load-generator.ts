/**
 * The load of `npm run bench:api`, in a process of its own so the client's speed does not depend on the
 * bench's heap (datasets, TF.js, training). Prints its result as one line of JSON.
 *
 * Two loads:
 * - `node --import tsx bench/load-generator.ts <base url> <connections> <seconds> <users>`: autocannon against
 *   `GET /users/{random id}/recommendations?k=10` (the cached-read load the bare route is compared with);
 *   prints autocannon's result.
 * - `node --import tsx bench/load-generator.ts mix <base url> <connections> <seconds> <config.json>`: traffic
 *   as it comes: 80% recommendations of users already cached (`hotUsers` ids 1..n, all asked once before the
 *   clock starts), 15% recommendations of users never asked before (`coldUsers`, each used once: the server
 *   reads their ratings and ranks them by fold-in), 5% a rating write (`POST /users/{id}/ratings`, bearer
 *   `token`, a random movie of `movies`) followed on the same connection by that user's recommendations.
 *   Keep-alive connections, each running one request at a time; latency per kind from send to the last byte.
 *   Prints `{ seconds, requests, rps, kinds: { [kind]: { count, p50, p99, max, non2xx, errors } } }` (ms).
 */
import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { createRng } from '../src/core/rng.js';

interface MixConfig {
  hotUsers: number;
  coldUsers: number[];
  movies: number[];
  token: string;
}

type Kind = 'cached read' | 'cold user' | 'rating write' | 'read after write';

async function uniform(base: string, connections: number, seconds: number, users: number): Promise<unknown> {
  const rng = createRng(20261125);
  return autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      { setupRequest: (req) => ({ ...req, path: `/users/${rng.int(users) + 1}/recommendations?k=10` }) },
    ],
  });
}

async function mix(base: string, connections: number, seconds: number, config: MixConfig): Promise<unknown> {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const send = (method: string, path: string, body?: string): Promise<number | string> =>
    new Promise((resolve) => {
      const headers: Record<string, string> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
        headers.authorization = `Bearer ${config.token}`;
      }
      const request = http.request(
        { host: url.hostname, port: url.port, method, path, agent, headers },
        (response) => {
          response.on('data', () => undefined);
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      request.end(body);
    });

  // Every hot user asked once, so their rankings are cached before the clock starts.
  let nextHot = 1;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (nextHot <= config.hotUsers) await send('GET', `/users/${nextHot++}/recommendations?k=10`);
    }),
  );

  const samples = new Map<Kind, { ms: number[]; non2xx: number; errors: number }>();
  const record = (kind: Kind, started: bigint, result: number | string): void => {
    let entry = samples.get(kind);
    if (!entry) samples.set(kind, (entry = { ms: [], non2xx: 0, errors: 0 }));
    entry.ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (typeof result === 'string') entry.errors++;
    else if (result < 200 || result > 299) entry.non2xx++;
  };
  const timed = async (kind: Kind, method: string, path: string, body?: string): Promise<void> => {
    const started = process.hrtime.bigint();
    record(kind, started, await send(method, path, body));
  };

  const rng = createRng(20261202);
  let nextCold = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const draw = rng.next();
        if (draw < 0.8 || (draw < 0.95 && nextCold >= config.coldUsers.length)) {
          await timed('cached read', 'GET', `/users/${rng.int(config.hotUsers) + 1}/recommendations?k=10`);
        } else if (draw < 0.95) {
          const user = config.coldUsers[nextCold++] as number;
          await timed('cold user', 'GET', `/users/${user}/recommendations?k=10`);
        } else {
          const user = rng.int(config.hotUsers) + 1;
          const movieId = config.movies[rng.int(config.movies.length)] as number;
          const rating = (rng.int(10) + 1) / 2;
          await timed('rating write', 'POST', `/users/${user}/ratings`, JSON.stringify({ movieId, rating }));
          await timed('read after write', 'GET', `/users/${user}/recommendations?k=10`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const percentile = (sorted: number[], p: number): number =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
  const kinds: Record<string, unknown> = {};
  let requests = 0;
  for (const [kind, { ms, non2xx, errors }] of samples) {
    const sorted = [...ms].sort((a, b) => a - b);
    requests += sorted.length;
    kinds[kind] = {
      count: sorted.length,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: sorted.at(-1),
      non2xx,
      errors,
    };
  }
  return { seconds: elapsed, requests, rps: requests / elapsed, coldUsed: nextCold, kinds };
}

const args = process.argv.slice(2);
const result =
  args[0] === 'mix'
    ? await mix(
        String(args[1]),
        Number(args[2]),
        Number(args[3]),
        JSON.parse(fs.readFileSync(String(args[4]), 'utf8')) as MixConfig,
      )
    : await uniform(String(args[0]), Number(args[1]), Number(args[2]), Number(args[3]));
process.stdout.write(`${JSON.stringify(result)}\n`);
