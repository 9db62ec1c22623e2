import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';

export interface ConnectionLimits {
  /** WebSocket connections this node holds at most, … */
  total: number;
  /** … and at most from one client address. */
  perAddress: number;
}

/** Open files kept for the process's own use beside its WebSockets: database files, logs, federation links, HTTP requests. */
export const RESERVED_FILES = 256;
/** How often a node that is full says so in its log. */
const WARNING_INTERVAL_MS = 10_000;
/** The node-wide cap where the open-file limit cannot be read (not Linux). */
const FALLBACK_TOTAL = 10_000;

/**
 * The node-wide cap by default: what the process's open-file limit leaves after its own
 * files. Past that limit the kernel refuses the accept itself, and the process then cannot
 * open a database file or a federation link either; refused here, a client gets a clear
 * answer and everyone else keeps working.
 */
export function defaultMaxConnections(limits: string | null = readProcessLimits()): number {
  const soft = limits?.match(/^Max open files\s+(\d+|unlimited)/m)?.[1];
  if (!soft) return FALLBACK_TOTAL;
  if (soft === 'unlimited') return 1_000_000;
  return Math.max(1, Number(soft) - RESERVED_FILES);
}

function readProcessLimits(): string | null {
  try {
    return fs.readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}

export interface RefusedCounter {
  inc(labels: { reason: 'node' | 'address' }): void;
}

/**
 * Counts the WebSocket upgrades this node has open, in all and per client address (as
 * Fastify reads it: behind a proxy, set MONAMI_TRUST_PROXY), and answers an upgrade beyond
 * a limit with an HTTP error instead of the upgrade: 503 past the node's limit, 429 past the
 * address's. A connection is counted from its upgrade request until its TCP connection
 * closes, whatever happens in between (a refused login closes it). Plain HTTP requests are
 * not counted. Added to the root instance before the routes, so it covers every route.
 */
export function limitConnections(app: FastifyInstance, limits: ConnectionLimits, refused: RefusedCounter): void {
  let open = 0;
  let warnedAt = 0;
  let refusedSinceWarning = 0;
  const byAddress = new Map<string, number>();
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') return done();
    const address = request.ip;
    const fromAddress = byAddress.get(address) ?? 0;
    if (open >= limits.total) {
      refused.inc({ reason: 'node' });
      // Once in a while, not once per refusal: a full node may be refusing thousands a second.
      refusedSinceWarning++;
      if (Date.now() - warnedAt >= WARNING_INTERVAL_MS) {
        request.log.warn({ open, limit: limits.total, refused: refusedSinceWarning }, 'connections refused: this node holds as many as it may');
        warnedAt = Date.now();
        refusedSinceWarning = 0;
      }
      void reply.code(503).header('retry-after', '30').send({ code: 503, message: 'too many connections on this server', ok: false });
      return;
    }
    if (fromAddress >= limits.perAddress) {
      refused.inc({ reason: 'address' });
      request.log.debug({ ip: address, limit: limits.perAddress }, 'connection refused: too many from this address');
      void reply.code(429).header('retry-after', '30').send({ code: 429, message: 'too many connections from this address', ok: false });
      return;
    }
    open++;
    byAddress.set(address, fromAddress + 1);
    // The upgrade takes the socket over: it serves no other request, and its close ends the count.
    request.raw.socket.once('close', () => {
      open--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left > 0) byAddress.set(address, left);
      else byAddress.delete(address);
    });
    done();
  });
}
