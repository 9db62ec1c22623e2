import { FrameQueue, isAnswerTo, randomId, type Frame } from './frames.js';
import type { SocketFactory, SocketLike } from './minami.js';

/**
 * A connection to one account's Monster endpoint (`ws://host/<name>`), anonymous or with
 * a login token. Every request resolves with the answer bearing its messageId.
 */
export class MonsterEndpoint {
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly frames = new FrameQueue();

  constructor(readonly socket: SocketLike) {
    this.opened = new Promise((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error('endpoint connection failed'));
    });
    this.closed = new Promise((resolve) => {
      socket.onclose = (event) => {
        this.frames.fail(`socket closed (${event.code} ${event.reason})`);
        resolve({ code: event.code, reason: event.reason });
      };
    });
    socket.onmessage = (event) => this.frames.push(JSON.parse(String(event.data)) as Frame);
  }

  /** `path` is the endpoint's path: `/bob` or `/user/bob`. */
  static connect(baseUrl: string, path: string, token?: string, Socket?: SocketFactory): MonsterEndpoint {
    const Ctor = Socket ?? (globalThis as unknown as { WebSocket: SocketFactory }).WebSocket;
    const query = token ? `?${new URLSearchParams({ token })}` : '';
    return new MonsterEndpoint(new Ctor(`${baseUrl.replace(/^http/, 'ws')}${path}${query}`));
  }

  async request(frame: Frame): Promise<Frame> {
    await this.opened;
    const messageId = typeof frame.messageId === 'string' ? frame.messageId : randomId();
    this.socket.send(JSON.stringify({ ...frame, messageId }));
    return this.frames.next(isAnswerTo(messageId));
  }

  /** Sends raw data, for frames a well-behaved client would never send. */
  async sendRaw(data: string | Uint8Array): Promise<Frame> {
    await this.opened;
    this.socket.send(data);
    return this.frames.next();
  }

  next(match?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame> {
    return this.frames.next(match, timeoutMs);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

/** base64 of UTF-8 text, as 2001 `text` carries it (browser and Node). */
export function encodeText(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function decodeText(base64: string): string {
  const binary = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
