import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  /** `http://host:port` as a client reaches it. */
  readonly url: string;
  /**
   * From now on every answer carries `Connection: close`, so keep-alive clients open their next request on a
   * new connection (to another replica, once the load balancer has dropped this one). The server still
   * accepts and answers. Idempotent.
   */
  drain(): void;
  /**
   * Stops accepting connections, lets in-flight requests finish (idle keep-alive connections are closed at
   * once), and after `graceMs` cuts whatever is left. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Listens with an app on host:port (port 0 picks a free one).
 * @example const running = await listen(app, '127.0.0.1', 0); await fetch(`${running.url}/health`); await running.close();
 */
export async function listen(app: Koa, host: string, port: number): Promise<RunningServer> {
  const handle = app.callback();
  let draining = false;
  const server = http.createServer((request, response) => {
    if (draining) response.setHeader('Connection', 'close');
    return handle(request, response);
  });
  // Longer than a typical load balancer's idle timeout, so it never closes a connection the balancer reuses.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: address.port,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    drain() {
      draining = true;
    },
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
