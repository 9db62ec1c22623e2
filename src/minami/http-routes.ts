import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { MinamiCode } from '../domain/codes.js';
import type { AccountRecord } from '../store/store.js';
import type { Services } from '../service/index.js';
import { optionalStringField, stringField, WrongType } from './fields.js';
import { nullIfEmpty, personEntry, refusal, reply } from './replies.js';

/** Registration bodies carry a base64 picture of up to 512 KiB, plus the other fields. */
export const REGISTER_BODY_LIMIT = 640 * 1024;

/**
 * The minami HTTP endpoints. Every answer is HTTP 200 with the protocol's JSON body, as
 * the seed's clients expect; the body's `code` tells success from failure.
 */
export const minamiHttpRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  // A wrong-typed field, malformed JSON, an oversized or unsupported body is the client's
  // fault: answer 403 Protocol Error (keeping the transport's 4xx status), never 500.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, res) => {
    if (err instanceof WrongType) return res.code(200).send(reply(MinamiCode.ProtocolError));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return res.code(err.statusCode).send(reply(MinamiCode.ProtocolError));
    }
    request.log.error({ err }, 'request failed');
    return res.code(500).send(reply(MinamiCode.InternalError));
  });

  app.post('/im/register', { bodyLimit: REGISTER_BODY_LIMIT }, async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return reply(MinamiCode.ProtocolError);
    const result = await services.accounts.register({
      account: stringField(body, 'account'),
      password: stringField(body, 'password'),
      mail: stringField(body, 'mail'),
      name: optionalStringField(body, 'name'),
      picture: optionalStringField(body, 'picture'),
      sex: optionalStringField(body, 'sex'),
      birthday: optionalStringField(body, 'birthday'),
      sign: optionalStringField(body, 'sign'),
    });
    if (!result.ok) return refusal(result.refusal);
    request.log.info({ account: result.value.account }, 'account registered');
    return reply(MinamiCode.Success);
  });

  /** Runs `handler` for the account named by `id` + `token`, or answers the auth error. */
  const authenticated =
    (handler: (me: AccountRecord, query: unknown) => Promise<Record<string, unknown>>) =>
    async (request: FastifyRequest, _reply: FastifyReply) => {
      const query = request.query;
      const auth = await services.accounts.authenticate(stringField(query, 'id'), stringField(query, 'token'));
      if (!auth.ok) return refusal(auth.refusal);
      return handler(auth.value, query);
    };

  /** monami extension: revokes the token, so it can no longer log in or authenticate. */
  app.get(
    '/im/logout',
    authenticated(async (_me, query) => {
      await services.accounts.logout(stringField(query, 'token'));
      return reply(MinamiCode.Success);
    }),
  );

  app.get(
    '/im/friends/found',
    authenticated(async (me, query) => {
      const result = await services.friends.search(me, stringField(query, 'name'));
      if (!result.ok) return refusal(result.refusal);
      return { code: MinamiCode.Success, found: nullIfEmpty(result.value.map(personEntry)), message: 'Success', ok: true };
    }),
  );

  app.get(
    '/im/friends/request',
    authenticated(async (me, query) => {
      const result = await services.friends.request(me, stringField(query, 'to'), stringField(query, 'note'));
      return result.ok ? reply(MinamiCode.Success) : refusal(result.refusal);
    }),
  );

  app.get(
    '/im/friends/add',
    authenticated(async (me, query) => {
      const from = stringField(query, 'from');
      if (!from) return reply(MinamiCode.FriendInfoEmpty);
      const result = await services.friends.accept(me, from, stringField(query, 'name'));
      return result.ok ? reply(MinamiCode.Success) : refusal(result.refusal);
    }),
  );

  app.get(
    '/im/friends/remove',
    authenticated(async (me, query) => {
      const result = await services.friends.remove(me, stringField(query, 'to'));
      return result.ok ? reply(MinamiCode.Success) : refusal(result.refusal);
    }),
  );
};
