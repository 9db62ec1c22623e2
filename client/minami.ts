import { FrameQueue, isAnswerTo, randomId, type Frame } from './frames.js';

/**
 * A typed client for the minami protocol, for browsers and Node alike. In Node pass the
 * `ws` package's WebSocket; in a browser the global one is used.
 */

export interface Reply {
  code: number;
  message: string;
  ok: boolean;
  [field: string]: unknown;
}

export interface Person {
  id: string;
  account?: string;
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
}

export interface Friend extends Person {
  online: boolean;
}

export interface FriendRequest {
  id: string;
  name: string;
  to: string;
  note: string;
}

export interface LoginFrame extends Reply {
  friends: Friend[] | null;
  profile: Person & { address: string };
  requests: FriendRequest[] | null;
  token: string;
}

export interface Registration {
  account: string;
  password: string;
  mail: string;
  name?: string;
  picture?: string;
  sex?: string;
  birthday?: string;
  sign?: string;
}

export interface Auth {
  id: string;
  token: string;
}

/** The part of the WebSocket API the client needs (browser WebSocket and `ws` both fit). */
export interface SocketLike {
  readyState: number;
  send(data: string | ArrayBufferLike | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onopen: ((event: unknown) => void) | null;
}
export type SocketFactory = new (url: string) => SocketLike;

export class MinamiHttp {
  constructor(readonly baseUrl: string) {}

  /** Registers with a JSON body, or form-encoded as the original web pages did. */
  async register(body: Registration, encoding: 'json' | 'form' = 'json'): Promise<Reply> {
    const init: RequestInit =
      encoding === 'json'
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : { method: 'POST', body: new URLSearchParams(body as unknown as Record<string, string>) };
    const res = await fetch(`${this.baseUrl}/im/register`, init);
    return (await res.json()) as Reply;
  }

  found(auth: Auth, name: string): Promise<Reply & { found?: Person[] | null }> {
    return this.get('/im/friends/found', { ...auth, name });
  }

  request(auth: Auth, to: string, note = ''): Promise<Reply> {
    return this.get('/im/friends/request', { ...auth, to, note });
  }

  add(auth: Auth, from: string, name: string): Promise<Reply> {
    return this.get('/im/friends/add', { ...auth, from, name });
  }

  /** Revokes the token (a monami extension). */
  logout(auth: Auth): Promise<Reply> {
    return this.get('/im/logout', { ...auth });
  }

  remove(auth: Auth, to: string): Promise<Reply> {
    return this.get('/im/friends/remove', { ...auth, to });
  }

  async get<T extends Reply>(path: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}?${new URLSearchParams(params)}`);
    return (await res.json()) as T;
  }
}

export class MinamiSession {
  /** The first frame: profile, friends, requests and token (or the refusal). */
  readonly login: Promise<LoginFrame>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly frames = new FrameQueue();
  private first = true;

  constructor(readonly socket: SocketLike) {
    let resolveLogin!: (frame: LoginFrame) => void;
    let rejectLogin!: (err: Error) => void;
    this.login = new Promise((res, rej) => ((resolveLogin = res), (rejectLogin = rej)));
    this.closed = new Promise((resolve) => {
      socket.onclose = (event) => {
        rejectLogin(new Error(`socket closed before login (${event.code})`));
        this.frames.fail(`socket closed (${event.code} ${event.reason})`);
        resolve({ code: event.code, reason: event.reason });
      };
    });
    socket.onerror = () => {};
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as Reply;
      if (this.first) {
        this.first = false;
        resolveLogin(frame as LoginFrame);
      } else this.frames.push(frame);
    };
  }

  /** Logs in with a password or a token; `since` resumes the inbox after that entry. */
  static connect(
    baseUrl: string,
    credentials: { account: string; password: string } | { account: string; token: string },
    Socket?: SocketFactory,
    since?: number,
  ): MinamiSession {
    const Ctor = Socket ?? (globalThis as unknown as { WebSocket: SocketFactory }).WebSocket;
    const params = new URLSearchParams(credentials as Record<string, string>);
    if (since !== undefined) params.set('since', String(since));
    return new MinamiSession(new Ctor(`${baseUrl.replace(/^http/, 'ws')}/im/login?${params}`));
  }

  /** Sends a dialogue; resolves its answer (200, or the error with the same id). */
  send(toFriend: string, payload: string, id: string = randomId()): Promise<Reply> {
    this.socket.send(JSON.stringify({ id, toFriend, payload }));
    return this.next((f) => f.id === id && typeof f.code === 'number');
  }

  /** Sends a Monster frame as this user (give `to` for its target); resolves the answer. */
  request(frame: Frame): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' ? frame.messageId : randomId();
    this.socket.send(JSON.stringify({ ...frame, messageId }));
    return this.frames.next(isAnswerTo(messageId));
  }

  /** The next frame matching `match` (already received or still to come). */
  next(match: (frame: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Reply> {
    return this.frames.next(match, timeoutMs) as Promise<Reply>;
  }

  /** Frames received and not taken yet. */
  pending(): readonly Reply[] {
    return this.frames.pending() as Reply[];
  }

  onFrame(listener: (frame: Frame) => void): () => void {
    return this.frames.onFrame(listener);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}
