import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process in tests). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'monami_' });
  return {
    registry,
    sessions: new Gauge({ name: 'monami_sessions', help: 'Logged-in sessions held by this node', registers: [registry] }),
    logins: new Counter({
      name: 'monami_logins_total',
      help: 'Login attempts by result code',
      labelNames: ['code'] as const,
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
