import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObserver } from './middleware/request-context.js';

/** The model the service answers with, as the metrics show it. */
export interface ModelDescription {
  kind: string;
  version: string;
}

export interface ApiMetrics {
  readonly registry: Registry;
  /** Records one finished request (the request-context middleware calls it). */
  readonly observe: RequestObserver;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * Prometheus metrics of one app, in a registry of its own (no global state, so several apps can live in one
 * process): request counts by method, route and status; latency histograms by method and route; the loaded
 * model's kind and version as an info gauge; and Node's process metrics.
 * @example const metrics = createApiMetrics(() => service.model()); app.use(requestContext(log, metrics.observe));
 */
export function createApiMetrics(
  currentModel: () => ModelDescription | undefined,
  options: { processMetrics?: boolean } = {},
): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to answer, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'recsys_model_info',
    help: 'The model serving recommendations (value 1; kind and version as labels)',
    labelNames: ['kind', 'version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const model = currentModel();
      if (model) this.set({ kind: model.kind, version: model.version }, 1);
    },
  });
  // Labelled children looked up once per (method, route, status): prom-client hashes the label object on
  // every inc/observe otherwise, a measurable share of a cached recommendations answer (bench:api).
  const children = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<'method' | 'route'> }
  >();
  return {
    registry,
    observe: ({ method, route, status, seconds }) => {
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) {
        child = {
          count: requests.labels({ method, route, status: String(status) }),
          time: latency.labels({ method, route }),
        };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
