import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SessionEvent } from '../domain/events.js';
import type { InboxKind, StoredMessage } from '../domain/message.js';
import type { Bus, ClusterMessageHandler, SessionHandle } from './bus.js';
import { LocalBus } from './local-bus.js';

export interface RedisBusOptions {
  url: string;
  /** Namespaces every key and channel, so several deployments can share one Redis. */
  prefix: string;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** What travels on the deployment's channel: events for users, inbox fan-outs, and messages between nodes. */
type Wire =
  | { t: 'events'; node: string; users: readonly string[]; event: SessionEvent }
  | { t: 'inbox'; node: string; seqs: [string, number][]; kind: InboxKind; message: StoredMessage; originSession?: string }
  | { t: 'cluster'; node: string; topic: string; payload: unknown }
  | { t: 'request'; node: string; id: string; topic: string; payload: unknown }
  | { t: 'reply'; node: string; to: string; id: string; result: unknown };

const HEARTBEAT_MS = 3_000;
/** A node not heard from for this long is dead: its sessions no longer count as online. */
const NODE_TTL_MS = 10_000;
const ALIVE_CACHE_MS = 1_000;

/**
 * The bus of a deployment of several nodes. Sessions are held by the node they connected
 * to; an event is delivered to this node's sessions at once and published once on one
 * Redis channel for the other nodes, whatever the number of recipients (each node picks
 * its own sessions out). Presence lives in Redis: per user, the number of sessions on each
 * node, counted only for nodes that keep sending heartbeats, so a node that dies takes its
 * sessions with it. Without Redis a node keeps serving its own sessions, logs, and puts its
 * presence back when Redis returns.
 */
export class RedisBus implements Bus {
  readonly nodeId = randomUUID();
  private readonly local = new LocalBus();
  private readonly handlers = new Map<string, ClusterMessageHandler>();
  private readonly responders = new Map<string, (payload: unknown) => Promise<unknown>>();
  private readonly pendingRequests = new Map<string, (result: unknown) => void>();
  private alive: { nodes: Set<string>; at: number } = { nodes: new Set(), at: 0 };
  private heartbeat: NodeJS.Timeout | null = null;
  private lost: ((userIds: string[]) => Promise<void>) | null = null;
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly options: RedisBusOptions,
  ) {}

  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    // Fail fast while Redis is away (no offline queue): callers degrade instead of waiting.
    const settings = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(n * 200, 2_000) };
    const bus = new RedisBus(new Redis(options.url, settings), new Redis(options.url, { ...settings, enableOfflineQueue: true }), options);
    for (const client of [bus.pub, bus.sub]) client.on('error', (err: Error) => bus.options.log.warn({ err: err.message }, 'redis connection error'));
    await Promise.all([bus.pub.connect(), bus.sub.connect()]);
    bus.sub.on('messageBuffer', (_channel: Buffer, data: Buffer) => bus.receive(data));
    await bus.sub.subscribe(bus.channel);
    // After Redis restarts (it may keep nothing) this node's presence is written again.
    bus.pub.on('ready', () => void bus.restorePresence());
    await bus.beat();
    bus.heartbeat = setInterval(() => void bus.beat(), HEARTBEAT_MS);
    bus.heartbeat.unref();
    return bus;
  }

  private get channel(): string {
    return `${this.options.prefix}bus`;
  }

  private key(...parts: string[]): string {
    return `${this.options.prefix}${parts.join(':')}`;
  }

  async attach(session: SessionHandle): Promise<{ first: boolean }> {
    await this.local.attach(session);
    const presence = this.key('presence', session.userId);
    const here = this.local.localSessions(session.userId).length;
    const counts = await this.guard(
      () => this.pub.multi().sadd(this.nodeUsersKey(this.nodeId), session.userId).hset(presence, this.nodeId, here).hgetall(presence).exec(),
      null,
    );
    if (!counts) return { first: this.local.localSessions(session.userId).length === 1 };
    // The last reply is the user's presence after the change.
    return { first: (await this.liveSessions(counts.at(-1)![1] as Record<string, string>)) === 1 };
  }

  async detach(session: SessionHandle): Promise<{ last: boolean }> {
    const { last: lastHere } = await this.local.detach(session);
    const presence = this.key('presence', session.userId);
    const left = this.local.localSessions(session.userId).length;
    const counts = await this.guard(
      () => (left === 0 ? this.pub.multi().hdel(presence, this.nodeId).srem(this.nodeUsersKey(this.nodeId), session.userId) : this.pub.multi().hset(presence, this.nodeId, left)).hgetall(presence).exec(),
      null,
    );
    if (!counts) return { last: lastHere };
    return { last: (await this.liveSessions(counts.at(-1)![1] as Record<string, string>)) === 0 };
  }

  async publish(userIds: readonly string[], event: SessionEvent, count: 'here' | 'everywhere' = 'here'): Promise<number> {
    let reached = await this.local.publish(userIds, event);
    await this.send({ t: 'events', node: this.nodeId, users: userIds, event });
    if (count === 'everywhere') reached += await this.sessionsElsewhere(userIds);
    return reached;
  }

  async publishInbox(seqs: ReadonlyMap<string, number>, kind: InboxKind, message: StoredMessage, originSession?: string): Promise<void> {
    await this.local.publishInbox(seqs, kind, message, originSession);
    await this.send({ t: 'inbox', node: this.nodeId, seqs: [...seqs], kind, message, ...(originSession ? { originSession } : {}) });
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    const online = await this.local.online(userIds);
    const rest = userIds.filter((id) => !online.has(id));
    if (rest.length === 0) return online;
    const pipeline = this.pub.pipeline();
    for (const id of rest) pipeline.hgetall(this.key('presence', id));
    const results = await this.guard(() => pipeline.exec(), null);
    if (!results) return online;
    const alive = await this.aliveNodes();
    rest.forEach((id, i) => {
      if (this.sessionCount(results[i]![1] as Record<string, string>, alive) > 0) online.add(id);
    });
    return online;
  }

  localSessions(userId: string): readonly SessionHandle[] {
    return this.local.localSessions(userId);
  }

  onClusterMessage(topic: string, handler: ClusterMessageHandler): void {
    this.handlers.set(topic, handler);
  }

  async broadcast(topic: string, payload: unknown): Promise<void> {
    await this.send({ t: 'cluster', node: this.nodeId, topic, payload });
  }

  request(topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingRequests.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pendingRequests.set(id, (result) => {
        clearTimeout(timer);
        this.pendingRequests.delete(id);
        resolve(result);
      });
      void this.send({ t: 'request', node: this.nodeId, id, topic, payload });
    });
  }

  onRequest(topic: string, handler: (payload: unknown) => Promise<unknown>): void {
    this.responders.set(topic, handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.guard(async () => {
      const users = this.local.users();
      const multi = this.pub.multi().zrem(this.key('nodes'), this.nodeId).del(this.nodeUsersKey(this.nodeId));
      for (const user of users) multi.hdel(this.key('presence', user), this.nodeId);
      await multi.exec();
    }, undefined);
    await this.local.close();
    this.sub.disconnect();
    this.pub.disconnect();
  }

  /** Runs a Redis command; while Redis is unreachable, logs and answers `fallback`. */
  private async guard<T>(command: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await command();
    } catch (err) {
      if (!this.closed) this.options.log.warn({ err: (err as Error).message }, 'redis unavailable; serving this node\'s sessions only');
      return fallback;
    }
  }

  private async send(wire: Wire): Promise<void> {
    await this.guard(() => this.pub.publish(this.channel, JSON.stringify(wire)), 0);
  }

  private receive(data: Buffer): void {
    let wire: Wire;
    try {
      wire = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (wire.node === this.nodeId) return;
    if (wire.t === 'events') void this.local.publish(wire.users, wire.event);
    else if (wire.t === 'inbox') void this.local.publishInbox(new Map(wire.seqs), wire.kind, wire.message, wire.originSession);
    else if (wire.t === 'cluster') this.handlers.get(wire.topic)?.(wire.payload);
    else if (wire.t === 'request') void this.respond(wire);
    else if (wire.t === 'reply' && wire.to === this.nodeId) this.pendingRequests.get(wire.id)?.(wire.result);
  }

  private async respond(request: Extract<Wire, { t: 'request' }>): Promise<void> {
    const handler = this.responders.get(request.topic);
    if (!handler) return;
    try {
      const result = await handler(request.payload);
      if (result !== undefined) await this.send({ t: 'reply', node: this.nodeId, to: request.node, id: request.id, result });
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, topic: request.topic }, 'cluster request failed');
    }
  }

  private nodeUsersKey(node: string): string {
    return this.key('node-users', node);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    await this.guard(() => this.pub.zadd(this.key('nodes'), now, this.nodeId), 0);
    const dead = await this.guard(() => this.pub.zrangebyscore(this.key('nodes'), '-inf', now - NODE_TTL_MS), [] as string[]);
    for (const node of dead) if (node !== this.nodeId) await this.guard(() => this.reap(node), undefined);
  }

  /**
   * Clears a dead node's presence (one live node does it: the first to claim it) and says
   * which of its users now have no session anywhere, so they can be announced offline.
   */
  private async reap(node: string): Promise<void> {
    const claimed = await this.pub.set(this.key('reaping', node), this.nodeId, 'PX', 60_000, 'NX');
    if (claimed !== 'OK') return;
    const users = await this.pub.smembers(this.nodeUsersKey(node));
    const multi = this.pub.multi();
    for (const user of users) multi.hdel(this.key('presence', user), node);
    await multi.del(this.nodeUsersKey(node)).zrem(this.key('nodes'), node).exec();
    const stillOnline = await this.online(users);
    const gone = users.filter((u) => !stillOnline.has(u));
    this.options.log.info({ node, sessions: users.length, gone: gone.length }, 'a node stopped answering; its sessions are gone');
    if (gone.length && this.lost) await this.lost(gone);
  }

  onUsersLost(handler: (userIds: string[]) => Promise<void>): void {
    this.lost = handler;
  }

  private async restorePresence(): Promise<void> {
    if (this.closed) return;
    const multi = this.pub.multi().zadd(this.key('nodes'), Date.now(), this.nodeId);
    for (const user of this.local.users()) {
      multi.hset(this.key('presence', user), this.nodeId, this.local.localSessions(user).length).sadd(this.nodeUsersKey(this.nodeId), user);
    }
    await this.guard(() => multi.exec(), null);
    this.options.log.info({ node: this.nodeId }, 'redis reachable; presence restored');
  }

  /** Sessions of one user's presence on live nodes; a node not known yet (it just joined) is looked up. */
  private async liveSessions(counts: Record<string, string>): Promise<number> {
    let alive = await this.aliveNodes();
    if (Object.keys(counts ?? {}).some((node) => node !== this.nodeId && !alive.has(node))) alive = await this.aliveNodes(true);
    return this.sessionCount(counts, alive);
  }

  /** Nodes that sent a heartbeat lately (cached for a second). */
  private async aliveNodes(fresh = false): Promise<Set<string>> {
    const now = Date.now();
    if (!fresh && now - this.alive.at < ALIVE_CACHE_MS) return this.alive.nodes;
    const nodes = await this.guard(() => this.pub.zrangebyscore(this.key('nodes'), now - NODE_TTL_MS, '+inf'), null);
    if (nodes) this.alive = { nodes: new Set(nodes), at: now };
    return this.alive.nodes;
  }

  private sessionCount(counts: Record<string, string>, alive: Set<string>): number {
    let total = 0;
    for (const [node, n] of Object.entries(counts ?? {})) if (alive.has(node) || node === this.nodeId) total += Number(n);
    return total;
  }

  /** Sessions of these users on other live nodes. */
  private async sessionsElsewhere(userIds: readonly string[]): Promise<number> {
    const pipeline = this.pub.pipeline();
    for (const id of userIds) pipeline.hgetall(this.key('presence', id));
    const results = await this.guard(() => pipeline.exec(), null);
    if (!results) return 0;
    const alive = await this.aliveNodes();
    let total = 0;
    for (const [, counts] of results) {
      for (const [node, n] of Object.entries((counts as Record<string, string>) ?? {})) if (node !== this.nodeId && alive.has(node)) total += Number(n);
    }
    return total;
  }
}
