import { randomId, type Frame } from './frames.js';
import type { Friend, FriendRequest, LoginFrame, Person, Reply, SocketFactory, SocketLike } from './minami.js';

/**
 * A long-lived login session for applications (the web client). Unlike `MinamiSession`,
 * which keeps every frame nobody has taken yet (what a test wants), it hands each push to
 * its listeners and forgets it, matches answers to the requests that are waiting for
 * them, and gives up on a request after a timeout. Works with the browser WebSocket and
 * with the `ws` package.
 */

/** A group or channel in the login frame's `groups` (a monami extension). */
export interface GroupEntry {
  address: string;
  name: string;
  accountType: string;
  role: 'owner' | 'admin' | 'member' | string;
}

/** A friend as the login frame and the 301/300 pushes give it; `address` is set for remote friends. */
export interface FriendEntry extends Friend {
  account?: string;
  address?: string;
}

export interface RequestEntry extends FriendRequest {
  account?: string;
  address?: string;
}

/** The first frame of a successful login, with monami's additive fields. */
export interface LoginSnapshot extends LoginFrame {
  friends: FriendEntry[] | null;
  groups?: GroupEntry[] | null;
  requests: RequestEntry[] | null;
  profile: Person & { account?: string; address: string };
}

/** A stored message as 2001 pushes and 3002 history pages carry it. */
export interface StoredMessage {
  messageId: string;
  id: number;
  from: string;
  to: string;
  text: string;
  time: number;
  seq?: number;
  recalled?: boolean;
}

/** Why a request got no answer. */
export class SessionError extends Error {
  constructor(readonly reason: 'timeout' | 'closed') {
    super(reason === 'timeout' ? 'no answer in time' : 'the connection is closed');
  }
}

type Waiting = { resolve: (frame: Frame) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> };

const OPEN = 1;

export type Credentials = { account: string; password: string } | { account: string; token: string };

export class LiveSession {
  /** The first frame: the snapshot on success, the refusal (505, 532, 500) otherwise. */
  readonly login: Promise<LoginSnapshot | Reply>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly answers = new Map<string, Waiting>();
  private readonly acks = new Map<string, Waiting>();
  private readonly listeners = new Set<(frame: Frame) => void>();
  private first = true;
  private ended = false;

  constructor(readonly socket: SocketLike) {
    let resolveLogin!: (frame: LoginSnapshot | Reply) => void;
    let rejectLogin!: (err: Error) => void;
    this.login = new Promise((res, rej) => ((resolveLogin = res), (rejectLogin = rej)));
    // Nobody may be listening yet when the socket fails; the rejection is still observable.
    this.login.catch(() => {});
    this.closed = new Promise((resolve) => {
      socket.onclose = (event) => {
        this.ended = true;
        rejectLogin(new SessionError('closed'));
        for (const pending of [...this.answers.values(), ...this.acks.values()]) {
          clearTimeout(pending.timer);
          pending.reject(new SessionError('closed'));
        }
        this.answers.clear();
        this.acks.clear();
        resolve({ code: event.code, reason: event.reason });
      };
    });
    socket.onerror = () => {};
    socket.onmessage = (event) => {
      let frame: Frame;
      try {
        const parsed: unknown = JSON.parse(String(event.data));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return;
        frame = parsed as Frame;
      } catch {
        return;
      }
      if (this.first) {
        this.first = false;
        resolveLogin(frame as unknown as LoginSnapshot | Reply);
        return;
      }
      if (this.settle(frame)) return;
      for (const listener of this.listeners) listener(frame);
    };
  }

  /** Opens a login socket with a password or a token; `since` resumes the inbox after that entry. */
  static connect(baseUrl: string, credentials: Credentials, options: { Socket?: SocketFactory; since?: number } = {}): LiveSession {
    const Ctor = options.Socket ?? (globalThis as unknown as { WebSocket: SocketFactory }).WebSocket;
    const params = new URLSearchParams(credentials as Record<string, string>);
    if (options.since !== undefined && options.since > 0) params.set('since', String(options.since));
    return new LiveSession(new Ctor(`${baseUrl.replace(/^http/, 'ws')}/im/login?${params}`));
  }

  get open(): boolean {
    return !this.ended && this.socket.readyState === OPEN;
  }

  /**
   * Sends a Monster frame as the logged-in user and resolves its answer (whatever its
   * statusCode). Rejects with a SessionError when the socket closes or no answer comes.
   */
  request(frame: Frame, timeoutMs = 15_000): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' && frame.messageId ? frame.messageId : randomId();
    return this.wait(this.answers, messageId, timeoutMs, () => this.socket.send(JSON.stringify({ ...frame, messageId })));
  }

  /** Sends a minami dialogue (live only) and resolves its acknowledgement or error. */
  dialogue(toFriend: string, payload: string, id: string = randomId(), timeoutMs = 15_000): Promise<Reply> {
    return this.wait(this.acks, id, timeoutMs, () => this.socket.send(JSON.stringify({ id, toFriend, payload }))) as Promise<Reply>;
  }

  /** Every frame that is not an answer to a request of this session: pushes and dialogues. */
  onPush(listener: (frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(code?: number, reason?: string): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState <= OPEN) this.socket.close(code, reason);
    return this.closed;
  }

  private wait(table: Map<string, Waiting>, key: string, timeoutMs: number, send: () => void): Promise<Frame> {
    if (!this.open) return Promise.reject(new SessionError('closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        table.delete(key);
        reject(new SessionError('timeout'));
      }, timeoutMs);
      table.set(key, { resolve, reject, timer });
      try {
        send();
      } catch {
        clearTimeout(timer);
        table.delete(key);
        reject(new SessionError('closed'));
      }
    });
  }

  /** An answer to a waiting request: Monster answers never have statusCode 300; dialogue acks have a numeric code. */
  private settle(frame: Frame): boolean {
    let table: Map<string, Waiting> | null = null;
    let key = '';
    if (typeof frame.messageId === 'string' && typeof frame.statusCode === 'string' && frame.statusCode !== '300' && this.answers.has(frame.messageId)) {
      table = this.answers;
      key = frame.messageId;
    } else if (typeof frame.code === 'number' && frame.code !== 302 && frame.id !== undefined && this.acks.has(String(frame.id))) {
      table = this.acks;
      key = String(frame.id);
    }
    if (!table) return false;
    const waiting = table.get(key)!;
    table.delete(key);
    clearTimeout(waiting.timer);
    waiting.resolve(frame);
    return true;
  }
}
