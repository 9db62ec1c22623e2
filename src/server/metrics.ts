import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process in tests). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'monami_' });
  return {
    registry,
    sessions: new Gauge({ name: 'monami_sessions', help: 'Logged-in sessions held by this node', registers: [registry] }),
    connectionsRefused: new Counter({
      name: 'monami_connections_refused_total',
      help: 'WebSocket connections refused at a limit: this node\'s (node) or one address\'s (address)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    logins: new Counter({
      name: 'monami_logins_total',
      help: 'Login attempts by result code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    federationDelivered: new Counter({
      name: 'monami_federation_delivered_total',
      help: 'Frames delivered to remote servers and answered, by destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    federationFailures: new Counter({
      name: 'monami_federation_failures_total',
      help: 'Failed deliveries to remote servers (each followed by a retry), by destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    federationRefused: new Counter({
      name: 'monami_federation_refused_total',
      help: 'Federation links and frames refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    federationOutboxDepth: new Gauge({
      name: 'monami_federation_outbox_depth',
      help: 'Frames waiting for remote servers, by destination (read from the database when scraped)',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    dialogues: new Counter({
      name: 'monami_dialogues_total',
      help: 'Well-formed dialogue frames, by result code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
