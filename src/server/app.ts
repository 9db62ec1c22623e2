import fs from 'node:fs';
import formBody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { LocalBus } from '../bus/local-bus.js';
import { RedisBus } from '../bus/redis-bus.js';
import type { Bus } from '../bus/bus.js';
import { Federation } from '../federation/federation.js';
import { federationInbound } from '../federation/inbound.js';
import { minamiHttpRoutes } from '../minami/http-routes.js';
import { minamiLoginSocket } from '../minami/login-socket.js';
import { avatarRoute } from '../monster/avatar.js';
import { monsterEndpoints } from '../monster/endpoint.js';
import { MonsterHandler } from '../monster/handler.js';
import { createServices, type Services } from '../service/index.js';
import { openStore } from '../store/connect.js';
import type { Store } from '../store/store.js';
import type { Config } from './config.js';
import { clientSettingsRoute } from './client-settings.js';
import { limitConnections } from './connection-limits.js';
import { startHeartbeat } from './heartbeat.js';
import { createMetrics } from './metrics.js';

export interface Monami {
  app: FastifyInstance;
  store: Store;
  bus: Bus;
  services: Services;
  /** Null when federation is off. */
  federation: Federation | null;
  /** Starts listening; resolves the bound address (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  /** Closes every socket, finishes pending work, closes the store. */
  close(): Promise<void>;
}

/** URLs carry ids and tokens (and login passwords) in their query: never log one. */
const withoutQuery = (url: string) => url.split('?', 1)[0];

const HEARTBEAT_MS = 30_000;
const TOKEN_PURGE_MS = 60 * 60_000;
const SHUTDOWN_GRACE_MS = 2_000;

export async function createMonami(config: Config, logger?: FastifyServerOptions['loggerInstance']): Promise<Monami> {
  let log: FastifyInstance['log'] | null = null;
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onConnectionError: (err) => log?.warn({ err }, 'database connection lost; it will be reopened'),
  });
  await store.migrate();
  const metrics = createMetrics();

  const app = Fastify({
    ...(logger
      ? { loggerInstance: logger }
      : {
          logger: {
            level: config.logLevel,
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: withoutQuery(req.url), ip: req.ip }),
            },
          },
        }),
    trustProxy: config.trustProxy,
    // The friends endpoints change state on GET (as the seed defines them); a HEAD must not.
    exposeHeadRoutes: false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
  });

  log = app.log;
  const bus: Bus = config.redisUrl
    ? await RedisBus.connect({ url: config.redisUrl, prefix: config.redisPrefix, log: app.log })
    : new LocalBus();
  const federation = config.federation.mode === 'off'
    ? null
    : await Federation.create(store, { domain: config.domain, ...config.federation }, app.log, {
        delivered: metrics.federationDelivered,
        failures: metrics.federationFailures,
        refused: metrics.federationRefused,
      });
  const services = createServices(store, bus, config, federation);
  if (federation) {
    federation.onAnswer = (entry, answer, awaited) => services.remoteEvents.answered(entry.actorId, entry.frame, answer, awaited);
    federation.onRenamed = (standIn) => services.monster.announceRename(standIn);
  }
  await app.register(formBody);
  await app.register(websocket, {
    options: { maxPayload: config.maxFrameBytes },
    // Tell clients the server is going away (1001) so they reconnect, and give the closing
    // handshakes a moment before cutting whoever did not answer.
    preClose: async function (this: FastifyInstance) {
      const clients = [...this.websocketServer.clients];
      const closed = clients.map((c) => new Promise((resolve) => c.once('close', resolve)));
      for (const client of clients) client.close(1001, 'Server Shutting Down');
      const timeout = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([Promise.all(closed), timeout]);
      for (const client of this.websocketServer.clients) client.terminate();
      await new Promise((resolve) => this.websocketServer.close(resolve));
    },
  });
  limitConnections(app, config.connectionLimits, metrics.connectionsRefused);
  const monster = new MonsterHandler(services, { domain: config.domain, addressPrefixes: config.addressPrefixes, publicUrl: config.publicUrl }, app.log);
  await app.register(minamiHttpRoutes, { services });
  await app.register(minamiLoginSocket, {
    services,
    domain: config.domain,
    monster,
    maxPendingFrames: config.maxPendingFrames,
    maxBufferedBytes: 4 * 1024 * 1024,
    metrics,
  });

  if (fs.existsSync(config.webDir)) {
    await app.register(fastifyStatic, { root: config.webDir, prefix: '/im/www/v1/' });
  } else {
    app.log.warn({ webDir: config.webDir }, 'web client folder not found; /im/www/v1/ is not served');
  }
  await app.register(avatarRoute, { services });
  await app.register(clientSettingsRoute, { iceServers: config.iceServers, recallWindowSeconds: config.recallWindowMs / 1000 });
  if (federation) await app.register(federationInbound, { federation, handler: monster, services, maxPendingFrames: config.maxPendingFrames });
  // Registered last: its `/:name` routes only take what no other route claims.
  await app.register(monsterEndpoints, { services, handler: monster, prefixes: config.addressPrefixes, maxPendingFrames: config.maxPendingFrames });
  app.get('/', async (_req, res) => res.redirect('/im/www/v1/chat.html'));
  // Fastify's own 404 logs and echoes the URL, query string included: a mistyped login URL
  // would put a password in the logs.
  app.setNotFoundHandler((request, res) => {
    request.log.info({ url: withoutQuery(request.url) }, 'not found');
    return res.code(404).send({ code: 404, message: 'Not Found', ok: false });
  });
  app.get('/healthz', async (_req, res) => {
    try {
      await store.ping();
      return { status: 'ok' };
    } catch {
      return res.code(503).send({ status: 'store unavailable' });
    }
  });
  if (config.metrics) {
    app.get('/metrics', async (_req, res) => {
      if (federation) {
        const depths = await store.federation().outboxDepths();
        metrics.federationOutboxDepth.reset();
        for (const [destination, depth] of depths) metrics.federationOutboxDepth.set({ destination }, depth);
      }
      return res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  const stopHeartbeat = startHeartbeat(app.websocketServer, HEARTBEAT_MS);
  const purge = setInterval(() => {
    services.accounts.purgeExpiredTokens().catch((err) => app.log.error({ err }, 'token purge failed'));
  }, TOKEN_PURGE_MS);
  purge.unref();

  let closing: Promise<void> | null = null;
  return {
    app,
    store,
    bus,
    services,
    federation,
    async listen() {
      const url = await app.listen({ port: config.port, host: config.host });
      // Frames queued before a restart go out again.
      await federation?.start();
      return url;
    },
    close() {
      closing ??= (async () => {
        stopHeartbeat();
        services.calls.stop();
        await federation?.stop();
        clearInterval(purge);
        await app.close();
        await services.sessions.drain();
        services.accounts.stop();
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}
