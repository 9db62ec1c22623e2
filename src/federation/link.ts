import WebSocket from 'ws';
import { AddressGuard } from './guard.js';
import { createHandshake, formatHandshake } from './handshake.js';
import type { ServerIdentity } from './identity.js';
import { splitDomain, type Transport } from './remote-http.js';

/** Where a server accepts federation links. */
export const LINK_PATH = '/.well-known/monami/federation';
export const MAX_LINK_FRAME_BYTES = 1024 * 1024;
const IDLE_CLOSE_MS = 120_000;

export type Frame = Record<string, unknown>;

/** Why a link could not carry a frame: the remote never answered it, so it may be sent again. */
export class LinkError extends Error {}

/**
 * One authenticated WebSocket from this server to another. Frames travel in envelopes
 * `{"id": n, "frame": {...}}`; the remote answers each with `{"id": n, "answer": {...}}`.
 */
export class Link {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (answer: Frame) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private idle: NodeJS.Timeout | null = null;
  readonly closed: Promise<void>;

  private constructor(readonly destination: string, private readonly socket: WebSocket, private readonly timeoutMs: number) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('message', (data, binary) => {
      if (binary) return socket.close(1003, 'frames are JSON text');
      let envelope: { id?: unknown; answer?: unknown };
      try {
        envelope = JSON.parse(String(data));
      } catch {
        return socket.close(1007, 'malformed JSON');
      }
      const pending = typeof envelope.id === 'number' ? this.waiting.get(envelope.id) : undefined;
      if (!pending || typeof envelope.answer !== 'object' || envelope.answer === null) return;
      this.waiting.delete(envelope.id as number);
      clearTimeout(pending.timer);
      pending.resolve(envelope.answer as Frame);
      this.touch();
    });
    socket.on('close', (code, reason) => this.failAll(new LinkError(`link to ${destination} closed (${code} ${reason})`)));
    socket.on('error', () => undefined);
    this.touch();
  }

  static async open(destination: string, identity: ServerIdentity, transport: Transport): Promise<Link> {
    const { host } = splitDomain(destination);
    const resolved = await transport.guard.resolve(host);
    const handshake = createHandshake(identity.domain, destination, identity.keyId, (text) => identity.sign(text));
    const socket = new WebSocket(`${transport.tls ? 'wss' : 'ws'}://${destination}${LINK_PATH}`, {
      headers: { authorization: formatHandshake(handshake) },
      lookup: AddressGuard.pinned(resolved),
      handshakeTimeout: transport.timeoutMs,
      maxPayload: MAX_LINK_FRAME_BYTES,
      followRedirects: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 8 && chunks.push(c));
        res.on('end', () => reject(new LinkError(`${destination} refused the link: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)));
        socket.terminate();
      });
      socket.once('error', (err) => reject(new LinkError(`cannot reach ${destination}: ${err.message}`)));
    });
    return new Link(destination, socket, transport.timeoutMs);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a frame; resolves with the remote's answer. */
  request(frame: Frame): Promise<Frame> {
    if (!this.open) return Promise.reject(new LinkError(`link to ${this.destination} is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new LinkError(`${this.destination} did not answer in time`));
        // An unanswered frame leaves the order unknown: start again on a fresh link.
        this.socket.terminate();
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ id, frame }));
      this.touch();
    });
  }

  close(): void {
    this.socket.close(1001, 'Going Away');
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.waiting.size === 0 && this.close(), IDLE_CLOSE_MS);
    this.idle.unref();
  }

  private failAll(err: Error): void {
    if (this.idle) clearTimeout(this.idle);
    for (const pending of this.waiting.values()) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.waiting.clear();
  }
}

/** One link per remote server, opened on demand and reopened after it closes. */
export class LinkPool {
  private readonly links = new Map<string, Promise<Link>>();

  constructor(private readonly identity: ServerIdentity, private readonly transport: Transport) {}

  get(destination: string): Promise<Link> {
    let link = this.links.get(destination);
    if (!link) {
      link = Link.open(destination, this.identity, this.transport);
      this.links.set(destination, link);
      link.then(
        (l) => l.closed.then(() => this.links.get(destination) === link && this.links.delete(destination)),
        () => this.links.get(destination) === link && this.links.delete(destination),
      );
    }
    return link.then((l) => {
      if (l.open) return l;
      if (this.links.get(destination) === link) this.links.delete(destination);
      return this.get(destination);
    });
  }

  async request(destination: string, frame: Frame): Promise<Frame> {
    return (await this.get(destination)).request(frame);
  }

  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((p) => p.then((l) => l.close(), () => undefined)));
  }
}
