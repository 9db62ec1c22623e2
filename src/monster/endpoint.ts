import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Status } from '../domain/monster.js';
import type { Services } from '../service/index.js';
import { takeFrames } from '../wire/frame-intake.js';
import type { MonsterContext, MonsterHandler } from './handler.js';
import { refusal } from './render.js';

export interface EndpointOptions {
  services: Services;
  handler: MonsterHandler;
  /** Path prefixes under which endpoints also answer (`/<prefix>/<name>`). */
  prefixes: readonly string[];
  /** Frames a client may have waiting for their answer before it is cut off. */
  maxPendingFrames: number;
}

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** A client that does not read its answers is cut off rather than buffered without bound. */
function send(socket: WebSocket, frame: Record<string, unknown>): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return socket.close(1013, 'Too Slow');
  socket.send(JSON.stringify(frame));
}

const stringParam = (params: unknown, key: string): string => {
  const value = (params as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : '';
};

/**
 * Every account is a WebSocket endpoint (`ws://host/<name>`, `ws://host/<prefix>/<name>`)
 * answering Monster frames addressed to it. Anyone may ask 1000; everything else acts for
 * a sender, who proves who they are with `?token=` (a login token). A plain HTTP GET of
 * the same path returns the account's public info.
 */
export const monsterEndpoints: FastifyPluginAsync<EndpointOptions> = async (app, { services, handler, prefixes, maxPendingFrames }) => {
  const lookup = (request: FastifyRequest) => services.monster.accountByName(stringParam(request.params, 'name'));

  for (const url of ['/:name', ...prefixes.map((p) => `/${p}/:name`)]) {
    app.route({
      method: 'GET',
      url,
      handler: async (request, reply) => {
        const account = await lookup(request);
        if (!account) return reply.code(404).send({ code: 404, message: 'Not Found', ok: false });
        return handler.infoFrame('', 1000, await services.monster.info(account));
      },
      wsHandler: (socket, request) => {
        const ready = serve(socket, request).catch((err) => {
          request.log.error({ err }, 'endpoint failed');
          socket.close(1011, 'Internal Server Error');
          return null;
        });
        takeFrames(socket, ready, maxPendingFrames, () => socket.close(1008, 'Too Many Frames'), async (context, frame) => {
          if (frame === 'binary') return send(socket, refusal('', null, Status.BadRequest, 'frames are JSON text'));
          if (frame === 'malformed') return send(socket, refusal('', null, Status.BadRequest, 'malformed JSON'));
          if (frame === 'not-object') return send(socket, refusal('', null, Status.BadRequest, 'a frame is a JSON object'));
          // The sender as they are now: a profile changed since the connection opened names them
          // in what they send. Best effort: a store that fails here fails the frame's own work,
          // which the handler answers (500).
          const name = context.sender?.account;
          const current = name ? (services.monster.cachedAccountByName(name) ?? (await services.monster.accountByName(name).catch(() => null))) : null;
          const sender = current ?? context.sender;
          send(socket, await handler.handle(frame, { ...context, sender }));
        });
      },
    });
  }

  /** Finds the endpoint's account and the sender; null when the connection is turned away. */
  async function serve(socket: WebSocket, request: FastifyRequest): Promise<MonsterContext | null> {
    const endpoint = await lookup(request);
    if (!endpoint) {
      send(socket, refusal('', null, Status.NotFound, 'no such account'));
      socket.close(4404, 'No Such Account');
      return null;
    }
    const token = stringParam(request.query, 'token');
    if (!token) return { sender: null, session: null, endpoint };
    const auth = await services.accounts.authenticateToken(token, request.ip);
    if (!auth.ok) {
      send(socket, refusal('', null, Status.Unauthenticated, auth.refusal === 'too-many-attempts' ? 'too many attempts' : 'invalid token'));
      socket.close(1008, 'Invalid Token');
      return null;
    }
    return { sender: auth.value, session: null, endpoint };
  }
};
