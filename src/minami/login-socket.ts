import type { Duplex } from 'node:stream';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { FieldLimits } from '../domain/account.js';
import { MinamiCode } from '../domain/codes.js';
import type { SessionEvent } from '../domain/events.js';
import type { Services } from '../service/index.js';
import type { Credentials } from '../service/accounts.js';
import type { UserSession } from '../service/sessions.js';
import type { MonsterHandler } from '../monster/handler.js';
import { addressOf, inboxFrameText } from '../monster/render.js';
import { AnswerPipeline } from '../wire/answer-pipeline.js';
import { takeFrames, type UnreadableFrame } from '../wire/frame-intake.js';
import { holdWritesForThisTurn } from '../wire/write-coalescing.js';
import { stringField } from './fields.js';
import { eventFrame, nullIfEmpty, personEntry, refusal, refusalCode, reply } from './replies.js';

/** Stored messages of one connection that may be waiting for their commit at once. */
const MAX_OVERLAPPING_MESSAGES = 64;

/** What the socket reports to (Prometheus gauges and counters fit this shape). */
export interface SessionMetrics {
  sessions: { inc(): void; dec(): void };
  logins: { inc(labels: { code: number }): void };
  dialogues: { inc(labels: { code: number }): void };
}

export interface LoginSocketOptions {
  services: Services;
  domain: string;
  /** Answers Monster frames (those with a `code`) sent as the logged-in user. */
  monster: MonsterHandler;
  /** Frames a client may have waiting for their answer before it is cut off. */
  maxPendingFrames: number;
  /** A session whose unsent output exceeds this is too slow to keep up and is closed. */
  maxBufferedBytes: number;
  metrics: SessionMetrics;
}

const CLOSE_POLICY = 1008;
const CLOSE_TOO_SLOW = 1013;

/** `?account=&password=` or `?account=&token=`; a repeated parameter is simply wrong. */
function credentialsFrom(query: unknown): Credentials | null {
  try {
    const account = stringField(query, 'account');
    const token = stringField(query, 'token');
    const password = stringField(query, 'password');
    if (!account) return null;
    if (password) return { account, password };
    if (token) return { account, token };
    return null;
  } catch {
    return null;
  }
}

/** `since=N` resumes the inbox after entry N; without it, after what was last delivered. */
function sinceFrom(query: unknown): number | undefined {
  try {
    const raw = stringField(query, 'since');
    return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The minami login socket: authenticates from the query string, sends the snapshot as
 * the first frame, then carries dialogues and pushes both ways until it closes.
 */
export const minamiLoginSocket: FastifyPluginAsync<LoginSocketOptions> = async (app, options) => {
  const { services, metrics, domain } = options;
  const handler = (socket: WebSocket, request: FastifyRequest) => {
    const log = request.log;
    const failed = (err: unknown) => {
      log.error({ err }, 'frame failed');
      return reply(MinamiCode.InternalError);
    };
    // A store failure during login is the server's fault: say 500 and close, keep running.
    const ready = openSession(socket, request).then(
      (opened) => opened && {
        ...opened,
        pipeline: new AnswerPipeline(MAX_OVERLAPPING_MESSAGES, (answer) => opened.transport.sendRaw(JSON.stringify(answer)), failed),
      },
      (err: unknown) => {
        log.error({ err }, 'login failed');
        if (socket.readyState === socket.OPEN) {
          socket.send(JSON.stringify(reply(MinamiCode.InternalError)));
          socket.close(1011, 'Internal Server Error');
        }
        return null;
      },
    );
    const tooMany = () => {
      log.warn('client sends faster than it is answered; closing');
      socket.close(CLOSE_POLICY, 'Too Many Frames');
    };
    takeFrames(socket, ready, options.maxPendingFrames, tooMany, ({ session, transport, pipeline }, frame) => {
      if (typeof frame === 'object' && Number(frame.code) === 2001) {
        return pipeline.overlapping((sink) => options.monster.answerInto(frame, { sender: session.account, session, endpoint: null }, sink));
      }
      return pipeline.inOrder(() => handleFrame(session, transport, frame).catch((err) => transport.sendRaw(JSON.stringify(failed(err)))));
    });
  };
  const plainHttp = async () => reply(MinamiCode.ProtocolError);
  for (const url of ['/im/login', '/im/login/im/login']) {
    app.route({ method: 'GET', url, handler: plainHttp, wsHandler: handler });
  }

  /** Logs in and sends the snapshot; null when the connection is refused or already gone. */
  async function openSession(socket: WebSocket, request: FastifyRequest): Promise<{ session: UserSession; transport: SocketTransport } | null> {
    const log = request.log;
    let closed = false;
    socket.on('close', () => (closed = true));

    const credentials = credentialsFrom(request.query);
    const login = credentials
      ? await services.accounts.login(credentials, request.ip)
      : ({ ok: false, refusal: 'wrong-credentials' } as const);
    metrics.logins.inc({ code: login.ok ? MinamiCode.Success : refusalCode[login.refusal] });
    if (!login.ok) {
      log.info({ refusal: login.refusal }, 'login refused');
      socket.send(JSON.stringify(refusal(login.refusal)));
      socket.close(CLOSE_POLICY, refusalCode[login.refusal] === MinamiCode.TooManyAttempts ? 'Too Many Attempts' : 'Login Refused');
      return null;
    }
    if (closed) return null;

    const { account, token } = login.value;
    const transport = new SocketTransport(socket, request.raw.socket, options.maxBufferedBytes, log, domain);
    const { session, snapshot } = await services.sessions.open(account, transport, sinceFrom(request.query));
    metrics.sessions.inc();
    const release = () => {
      metrics.sessions.dec();
      services.sessions.closed(session).catch((err) => log.error({ err }, 'session close failed'));
    };
    if (closed) {
      release();
      return null;
    }
    socket.on('close', release);
    transport.ready(
      JSON.stringify({
        code: MinamiCode.Success,
        friends: nullIfEmpty(snapshot.friends),
        groups: nullIfEmpty(snapshot.groups.map((g) => ({ address: addressOf(g.account, domain), name: g.account.name, accountType: String(g.account.kind), role: g.role }))),
        message: 'Success',
        ok: true,
        profile: { ...personEntry(account), address: addressOf(account, domain) },
        requests: nullIfEmpty(snapshot.requests),
        token,
      }),
    );
    return { session, transport };
  }

  async function handleFrame(session: UserSession, transport: SocketTransport, frame: Record<string, unknown> | UnreadableFrame) {
    const answer = (body: Record<string, unknown>) => transport.sendRaw(JSON.stringify(body));
    if (frame === 'binary') return answer(reply(MinamiCode.PayloadMustBeText));
    if (typeof frame === 'string') return answer(reply(MinamiCode.ProtocolError));
    if ('code' in frame) return answer(await options.monster.handle(frame, { sender: session.account, session, endpoint: null }));
    const { id, toFriend, payload } = frame;

    // The id is echoed on every answer so a client can match it; strings and numbers are both ids.
    if (id === undefined || id === null || id === '') return answer(reply(MinamiCode.DialogueIdEmpty));
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length > FieldLimits.dialogueId) {
      return answer(reply(MinamiCode.ProtocolError));
    }
    const withId = { id };
    if (toFriend === undefined || toFriend === null || toFriend === '') return answer(reply(MinamiCode.FriendIdEmpty, withId));
    if (typeof toFriend !== 'string') return answer(reply(MinamiCode.ProtocolError, withId));
    if (payload === undefined || payload === null || payload === '') return answer(reply(MinamiCode.PayloadEmpty, withId));
    if (typeof payload !== 'string') return answer(reply(MinamiCode.PayloadMustBeText, withId));
    if (payload.length > FieldLimits.payload) return answer(reply(MinamiCode.FieldTooLong, withId));

    const result = await services.sessions.sendDialogue(session, { id: String(id), to: toFriend, payload });
    metrics.dialogues.inc({ code: result.ok ? MinamiCode.Success : refusalCode[result.refusal] });
    answer(result.ok ? reply(MinamiCode.Success, withId) : refusal(result.refusal, withId));
  }
};

/**
 * Renders events for one socket. Output is held back until the first frame is sent, and a
 * client too slow to drain its socket is cut off rather than buffered without bound.
 */
class SocketTransport {
  private pending: string[] | null = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly stream: Duplex,
    private readonly maxBufferedBytes: number,
    private readonly log: FastifyBaseLogger,
    private readonly domain: string,
  ) {}

  send(event: SessionEvent, session: UserSession): boolean {
    if (event.type === 'inbox') return this.sendRaw(inboxFrameText(event.entry, this.domain));
    return this.sendRaw(JSON.stringify(eventFrame(event, session.userId, this.domain)));
  }

  sendRaw(text: string): boolean {
    if (this.pending) {
      this.pending.push(text);
      return true;
    }
    if (this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.log.warn('session too slow to keep up; closing');
      this.socket.close(CLOSE_TOO_SLOW, 'Too Slow');
      return false;
    }
    holdWritesForThisTurn(this.stream);
    this.socket.send(text);
    return true;
  }

  ready(first: string): void {
    const queued = this.pending ?? [];
    this.pending = null;
    this.sendRaw(first);
    for (const text of queued) this.sendRaw(text);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
