import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Status } from '../domain/monster.js';
import type { Services } from '../service/index.js';
import { OrderedWork } from '../wire/ordered-work.js';
import type { MonsterHandler } from './handler.js';
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
        serve(socket, request).catch((err) => {
          request.log.error({ err }, 'endpoint failed');
          socket.close(1011, 'Internal Server Error');
        });
      },
    });
  }

  async function serve(socket: WebSocket, request: FastifyRequest) {
    // Frames that arrive while the endpoint and the token are looked up wait their turn.
    const early: { data: Buffer; isBinary: boolean }[] = [];
    let onFrame: ((data: Buffer, isBinary: boolean) => void) | null = null;
    socket.on('message', (data: Buffer, isBinary: boolean) => (onFrame ? onFrame(data, isBinary) : early.push({ data, isBinary })));

    // A client that does not read its answers is cut off rather than buffered without bound.
    const send = (frame: Record<string, unknown>) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return socket.close(1013, 'Too Slow');
      socket.send(JSON.stringify(frame));
    };
    const endpoint = await lookup(request);
    if (!endpoint) {
      send(refusal('', null, Status.NotFound, 'no such account'));
      return socket.close(4404, 'No Such Account');
    }
    const token = stringParam(request.query, 'token');
    let sender = null;
    if (token) {
      const auth = await services.accounts.authenticateToken(token, request.ip);
      if (!auth.ok) {
        send(refusal('', null, Status.Unauthenticated, auth.refusal === 'too-many-attempts' ? 'too many attempts' : 'invalid token'));
        return socket.close(1008, 'Invalid Token');
      }
      sender = auth.value;
    }

    const context = { sender, session: null, endpoint };
    const work = new OrderedWork(maxPendingFrames, () => socket.close(1008, 'Too Many Frames'));
    onFrame = (data, isBinary) => {
      work.push(async () => {
        if (isBinary) return send(refusal('', null, Status.BadRequest, 'frames are JSON text'));
        let frame: unknown;
        try {
          frame = JSON.parse(data.toString('utf8'));
        } catch {
          return send(refusal('', null, Status.BadRequest, 'malformed JSON'));
        }
        if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return send(refusal('', null, Status.BadRequest, 'a frame is a JSON object'));
        send(await handler.handle(frame as Record<string, unknown>, context));
      });
    };
    for (const frame of early.splice(0)) onFrame(frame.data, frame.isBinary);
  }
};
