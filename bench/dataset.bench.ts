/**
 * `npm run bench:dataset`: the dataset layer's two targets (issue 4).
 * (a) CSR (user -> items) and CSC (item -> users) from the 1,000,209 ml-1m interactions: median of 5 runs,
 *     target < 0.3 s for both together; reference: a plain copy of the same coordinate arrays.
 * (b) The synthetic generator at ml-25m's shape (25M interactions, 162k users, 59k items) -> Interactions ->
 *     CSR + CSC, in a child process so its peak RSS (getrusage's maxrss) is the generator's alone; target
 *     within 6 GB. Reference: filling the same output arrays with seeded random numbers.
 * Flags: `--interactions N --users N --items N` shrink (b) for a quick run.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/core/rng.js';
import { readInteractionsParquet } from '../src/data/parquet.js';
import { buildCsr, interactionsToCsr } from '../src/dataset/csr.js';
import { interactionsFromRatings } from '../src/dataset/interactions.js';
import { generateSyntheticDataset } from '../src/dataset/synthetic.js';

const SELF = fileURLToPath(import.meta.url);
const ML1M = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-1m', 'interactions.parquet');

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Wall and CPU seconds of one call (CPU shows the work when other processes share the two cores). */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const value = fn();
  return { value, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

function medianOf(runs: number, fn: () => unknown): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(timed(fn).wall);
  return median(times);
}

async function ml1mCsr(): Promise<void> {
  const read = timed(() => readInteractionsParquet(ML1M, { user: 'userID', item: 'movieID' }));
  const table = await read.value;
  const encode = medianOf(5, () => interactionsFromRatings(table));
  const all = interactionsFromRatings(table);
  const ones = new Float32Array(all.user.length).fill(1);
  const copy = medianOf(5, () => [all.user.slice(), all.item.slice(), ones.slice()]);
  const csr = medianOf(5, () => interactionsToCsr(all, ones));
  const csc = medianOf(5, () => buildCsr(all.items.size, all.users.size, all.item, all.user, ones));
  const both = csr + csc;
  console.log(
    `(a) ml-1m interactions: ${all.user.length} rows, ${all.users.size} users, ${all.items.size} items`,
  );
  console.log(`    encode ids (interactionsFromRatings) median ${encode.toFixed(3)} s`);
  console.log(`    plain copy of user/item/value arrays   median ${copy.toFixed(3)} s (reference)`);
  console.log(
    `    CSR user->items                        median ${csr.toFixed(3)} s = ${(csr / copy).toFixed(1)}x copy`,
  );
  console.log(
    `    CSC item->users                        median ${csc.toFixed(3)} s = ${(csc / copy).toFixed(1)}x copy`,
  );
  console.log(`    CSR + CSC ${both.toFixed(3)} s (target < 0.3 s): ${both < 0.3 ? 'met' : 'NOT met'}`);
}

/** Runs in the child: generator -> Interactions -> CSR + CSC, prints one JSON line. */
function generatorChild(): void {
  const users = flag('users', 162_000);
  const items = flag('items', 59_000);
  const interactions = flag('interactions', 25_000_000);
  // Reference: the same four output columns filled with seeded draws (the floor of writing 25M rows).
  const floor = timed(() => {
    const rng = createRng(1);
    const cols = [new Int32Array(interactions), new Int32Array(interactions), new Float32Array(interactions)];
    const ts = new Float64Array(interactions);
    for (let k = 0; k < interactions; k++) {
      cols[0]![k] = rng.int(users);
      cols[1]![k] = rng.int(items);
      cols[2]![k] = 1 + rng.int(5);
      ts[k] = rng.next();
    }
    return cols.length;
  });
  const rssBefore = process.memoryUsage().rss;
  const generated = timed(() => generateSyntheticDataset({ users, items, interactions, seed: 25 }));
  const encoded = timed(() => interactionsFromRatings(generated.value.tables.ratings));
  const csr = timed(() =>
    interactionsToCsr(encoded.value, generated.value.tables.ratings.rating ?? undefined),
  );
  const csc = timed(() =>
    buildCsr(items, encoded.value.users.size, encoded.value.item, encoded.value.user, csr.value.values),
  );
  const rssAfter = process.memoryUsage().rss;
  console.log(
    JSON.stringify({
      users,
      items,
      interactions,
      floor: floor.wall,
      floorCpu: floor.cpu,
      generate: generated.wall,
      generateCpu: generated.cpu,
      encode: encoded.wall,
      encodeCpu: encoded.cpu,
      csr: csr.wall,
      csrCpu: csr.cpu,
      csc: csc.wall,
      cscCpu: csc.cpu,
      cpuTotal: generated.cpu + encoded.cpu + csr.cpu + csc.cpu,
      rssBefore,
      rssAfter,
      maxRss: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

function generatorInChild(): void {
  const args = process.argv.slice(2).filter((a) => a !== '--child');
  const child = spawnSync(process.execPath, [...process.execArgv, SELF, '--child', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`generator child exited with ${child.status}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, number>;
  const gb = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
  const total = r.generate! + r.encode! + r.csr! + r.csc!;
  console.log(
    `(b) generator: ${r.interactions} interactions, ${r.users} users, ${r.items} items (child process)`,
  );
  console.log(`    reference: fill the 4 output columns with seeded draws ${r.floor!.toFixed(2)} s`);
  console.log(
    `    generate ${r.generate!.toFixed(2)} s (cpu ${r.generateCpu!.toFixed(2)} s) = ${(r.generate! / r.floor!).toFixed(1)}x reference`,
  );
  console.log(
    `    encode ${r.encode!.toFixed(2)} s (cpu ${r.encodeCpu!.toFixed(2)}), CSR ${r.csr!.toFixed(2)} s ` +
      `(cpu ${r.csrCpu!.toFixed(2)}), CSC ${r.csc!.toFixed(2)} s (cpu ${r.cscCpu!.toFixed(2)})`,
  );
  console.log(`    total ${total.toFixed(2)} s wall, ${r.cpuTotal!.toFixed(2)} s cpu (aim < 60 s)`);
  const outputBytes = r.interactions! * 20;
  console.log(
    `    peak RSS ${gb(r.maxRss!)} GB (target <= 6 GB: ${r.maxRss! <= 6 * 2 ** 30 ? 'met' : 'NOT met'}); ` +
      `${(r.maxRss! / outputBytes).toFixed(2)}x the 20 B/row of the ratings table; RSS at end ${gb(r.rssAfter!)} GB`,
  );
}

if (process.argv.includes('--child')) {
  generatorChild();
} else {
  console.log(
    `bench:dataset on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, ${new Date().toISOString()}`,
  );
  await ml1mCsr();
  generatorInChild();
}
