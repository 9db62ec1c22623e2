import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import { FieldLimits } from '../domain/account.js';
import { addressDomain, parseAddress } from '../domain/address.js';
import { Status } from '../domain/monster.js';
import type { MonsterHandler } from '../monster/handler.js';
import { refusal } from '../monster/render.js';
import type { Services } from '../service/index.js';
import { PROFILE_NOTICE } from '../service/remote.js';
import type { AccountRecord } from '../store/store.js';
import { canonicalAddress, type Federation } from './federation.js';
import { KEYS_PATH } from './key-directory.js';
import { LINK_PATH, MAX_LINK_FRAME_BYTES, type Frame } from './link.js';

export interface InboundOptions {
  federation: Federation;
  handler: MonsterHandler;
  services: Services;
  /** Frames one origin may have waiting; beyond it its link is closed. */
  maxPendingFrames: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The server a federation link's handshake proved, set before the upgrade. */
    federationOrigin: string;
  }
}

/** What a remote person may ask of accounts here (not: profile, sync or group creation, which act on oneself). */
const PERSON_CODES = new Set([1000, 1001, 1002, 1003, 1004, 2001, 2004, 3002, 3102, 3103, 3104, 3105, 3106]);
type CallCode = 2002 | 2003 | 2005 | 2006 | 2007 | 2008 | 2009;
const CALL_CODES = new Set([2002, 2003, 2005, 2006, 2007, 2008, 2009]);
/** What a remote group or channel tells its members here. */
const GROUP_CODES = new Set([1002, 1003, 1004, 2010, 2011]);

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Members one fan-out frame may name (each is looked up): senders split larger ones (monami: 250 a frame). */
const MAX_MEMBERS_PER_FRAME = 1000;

/**
 * The federation door: the key document at the well-known URL, and the WebSocket that
 * other servers open after a signed handshake (checked before the upgrade: a refused
 * server gets HTTP 401/403 with the reason). Frames are handled in order per origin.
 */
export const federationInbound: FastifyPluginAsync<InboundOptions> = async (app, { federation, handler, services, maxPendingFrames }) => {
  const queues = new Map<string, { tail: Promise<void>; waiting: number }>();
  app.decorateRequest('federationOrigin', '');

  app.get(KEYS_PATH, async () => federation.keyDocument());

  app.route({
    method: 'GET',
    url: LINK_PATH,
    preValidation: async (request, reply) => {
      const result = await federation.authenticate(request.headers.authorization);
      if ('status' in result) return reply.code(result.status).send({ statusCode: String(result.status), reason: result.reason });
      request.federationOrigin = result.origin;
    },
    handler: async (_request, reply) => reply.code(426).send({ statusCode: '426', reason: 'federation links are WebSockets' }),
    wsHandler: (socket, request) => {
      const origin = request.federationOrigin;
      request.log.info({ origin }, 'federation link opened');
      let queue = queues.get(origin);
      if (!queue) queues.set(origin, (queue = { tail: Promise.resolve(), waiting: 0 }));
      const q = queue;
      socket.on('message', (data: Buffer, binary: boolean) => {
        if (binary || data.length > MAX_LINK_FRAME_BYTES) return socket.close(1003, 'frames are JSON text');
        if (q.waiting >= maxPendingFrames) return socket.close(1008, 'Too Many Frames');
        q.waiting++;
        q.tail = q.tail
          .then(() => serveEnvelope(socket, origin, data))
          .catch((err) => request.log.error({ err, origin }, 'federation frame failed'))
          .finally(() => q.waiting--);
      });
    },
  });

  async function serveEnvelope(socket: WebSocket, origin: string, data: Buffer): Promise<void> {
    // A server blocked after it connected loses its open link at its next frame.
    if (!(await federation.peers.allows(origin))) return void socket.close(1008, 'Server Blocked');
    let envelope: { id?: unknown; frame?: unknown };
    try {
      envelope = JSON.parse(data.toString('utf8'));
    } catch {
      return void socket.close(1007, 'malformed JSON');
    }
    if (typeof envelope.id !== 'number' || typeof envelope.frame !== 'object' || envelope.frame === null || Array.isArray(envelope.frame)) {
      return void socket.close(1007, 'not an envelope');
    }
    const frame = envelope.frame as Frame;
    const answer = await federation.receive(origin, frame, (sender) => dispatch(sender, frame));
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return void socket.close(1013, 'Too Slow');
    socket.send(JSON.stringify({ id: envelope.id, answer }));
  }

  /** A local account an address of this server names, or null. */
  async function localAccount(address: unknown): Promise<AccountRecord | null> {
    if (typeof address !== 'string' || !handler.isLocal(address)) return null;
    return services.monster.accountByName(parseAddress(address)!.name);
  }

  async function dispatch(sender: AccountRecord | null, frame: Frame): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' ? frame.messageId : '';
    const code = Number(frame.code);
    const no = (status: number, reason: string) => refusal(messageId, code, status, reason);
    if (sender === null || sender.kind === 1) {
      if (typeof frame.to !== 'string' || !handler.isLocal(frame.to)) return no(Status.NotFound, 'to is not an address of this server');
      if (sender && CALL_CODES.has(code)) return call(sender, frame, code as CallCode);
      if (sender && code === 2012) return dialogue(sender, frame);
      // The stand-in took the name in `fromName` before this was called: nothing else to do.
      if (sender && code === PROFILE_NOTICE) return { messageId, code: String(code), statusCode: String(Status.Done) };
      if (!PERSON_CODES.has(code)) return no(Status.BadRequest, 'not available to accounts of other servers');
      return handler.handle(frame, { sender, session: null, endpoint: null });
    }

    const outcome = (o: { ok: true } | { ok: false; status: number; reason: string }) =>
      o.ok ? { messageId, code: String(code), statusCode: String(Status.Done) } : no(o.status, o.reason);
    if (code === PROFILE_NOTICE) return outcome({ ok: true }); // renamed by `fromName` already, as for a person
    if (!GROUP_CODES.has(code)) return no(Status.BadRequest, 'not available to groups of other servers');
    const events = services.remoteEvents;
    // A group names its members here: one in `to`, or many in `members` (fan-out).
    if (Array.isArray(frame.members) && frame.members.length > MAX_MEMBERS_PER_FRAME) return no(Status.TooLarge, `at most ${MAX_MEMBERS_PER_FRAME} members per frame`);
    const named: unknown[] = Array.isArray(frame.members) ? frame.members : [frame.to];
    const members = (await Promise.all(named.map(localAccount))).filter((m) => m !== null);
    if (code === 1002 || code === 1003 || code === 1004) {
      if (members.length === 0) return no(Status.NotFound, 'no such account');
      for (const member of members) {
        const changed = await events.membershipChanged(sender, member, code, typeof frame.reason === 'string' ? frame.reason : '');
        if (!changed.ok) return outcome(changed);
      }
      return outcome({ ok: true });
    }
    const author = await authorOf(frame, sender);
    if (!author) return no(Status.BadRequest, 'author missing');
    const time = typeof frame.time === 'number' && Number.isFinite(frame.time) ? frame.time : Date.now();
    const clientMessageId = code === 2010 ? frame.clientMessageId : frame.recallMessageId;
    if (typeof clientMessageId !== 'string' || !clientMessageId || clientMessageId.length > 128) return no(Status.BadRequest, 'messageId missing');
    if (code === 2010) {
      if (typeof frame.text !== 'string' || frame.text.length > MAX_LINK_FRAME_BYTES) return no(Status.BadRequest, 'text missing');
      return outcome(await events.groupPost(sender, author, members, clientMessageId, frame.text, time));
    }
    return outcome(await events.groupRecall(sender, author, members, clientMessageId, time));
  }

  /** Call signalling from a remote person: live, never stored or deduplicated. */
  async function call(sender: AccountRecord, frame: Frame, code: CallCode): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' ? frame.messageId : '';
    const callId = typeof frame.callId === 'string' ? frame.callId : '';
    const text = typeof frame.text === 'string' && frame.text.length <= MAX_LINK_FRAME_BYTES ? frame.text : '';
    const done = (o: { ok: true } | { ok: false; status: number; reason: string }) =>
      o.ok ? { messageId, code: String(code), statusCode: String(Status.Done), callId } : refusal(messageId, code, o.status, o.reason);
    if (code === 2002 || code === 2003) {
      const callee = await localAccount(frame.to);
      if (!callee) return refusal(messageId, code, Status.NotFound, 'no such account');
      return done(await services.calls.startInbound(sender, callee, code, text, callId));
    }
    return done(await services.calls.signalInbound(sender, code, callId, text, typeof frame.reason === 'string' ? frame.reason : ''));
  }

  /** A remote friend's live minami dialogue (2012): 200 once on a session here, 480 when there is none. */
  async function dialogue(sender: AccountRecord, frame: Frame): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' ? frame.messageId : '';
    const to = await localAccount(frame.to);
    if (!to) return refusal(messageId, 2012, Status.NotFound, 'no such account');
    if (!messageId || messageId.length > FieldLimits.dialogueId) return refusal(messageId, 2012, Status.BadRequest, 'messageId missing');
    if (typeof frame.payload !== 'string' || !frame.payload || frame.payload.length > FieldLimits.payload) return refusal(messageId, 2012, Status.BadRequest, 'payload missing or too long');
    const sent = await services.sessions.receiveRemoteDialogue(sender, to, messageId, frame.payload);
    if (sent.ok) return { messageId, code: '2012', statusCode: String(Status.Done) };
    return sent.refusal === 'friend-offline' ? refusal(messageId, 2012, Status.Offline, 'no session') : refusal(messageId, 2012, Status.Forbidden, 'not friends');
  }

  /** The author of a group post: a local account, or the stand-in of a remote one. */
  async function authorOf(frame: Frame, group: AccountRecord): Promise<AccountRecord | null> {
    const parsed = typeof frame.author === 'string' ? parseAddress(frame.author) : null;
    if (!parsed) return null;
    if (handler.isLocal(frame.author as string)) return services.monster.accountByName(parsed.name);
    if (addressDomain(parsed) === federation.domain) return null;
    const groupAddress = parseAddress(group.account);
    const sameServer = groupAddress !== null && addressDomain(groupAddress) === addressDomain(parsed);
    return federation.standIn(canonicalAddress(parsed), frame.authorType, frame.authorName, sameServer);
  }
};
