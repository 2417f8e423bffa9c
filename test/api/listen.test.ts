import Koa from 'koa';
import { describe, expect, it, vi } from 'vitest';
import { listen } from '../../src/api/listen.js';

describe('listen(): graceful close', () => {
  it('stops accepting, lets requests in flight finish, then resolves', async () => {
    const app = new Koa();
    let entered = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    app.use(async (ctx) => {
      entered++;
      await gate;
      ctx.body = { done: true };
    });
    const server = await listen(app, '127.0.0.1', 0);
    const inFlight = Array.from({ length: 5 }, () => fetch(`${server.url}/slow`));
    await vi.waitFor(() => expect(entered).toBe(5), { timeout: 5_000, interval: 5 });

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    // No new connections once closing has begun...
    await expect(fetch(`${server.url}/slow`, { headers: { connection: 'close' } })).rejects.toThrow();
    // ...and, that refusal's round trip later, close still waits for the five in flight.
    expect(closed).toBe(false);

    release();
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual(Array(5).fill({ done: true }));
    await closing;
    expect(closed).toBe(true);
  });
});
