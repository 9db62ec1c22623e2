import type { Account, FriendRequestView, FriendView } from '../domain/account.js';
import type { SessionEvent } from '../domain/events.js';
import type { Bus, SessionHandle } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { refuse, success, type Result } from './errors.js';
import { randomHex128 } from './secrets.js';
import { friendView, requestView } from './views.js';

/** What a protocol adapter gives a session to reach its client. */
export interface Transport {
  /** False when the event could not be handed to the client (closed, or too far behind). */
  send(event: SessionEvent, session: UserSession): boolean;
  close(code: number, reason: string): void;
}

/** Close code for a session evicted because its user opened too many (4000 + minami 513). */
export const CLOSE_EVICTED = 4513;

/**
 * A logged-in connection of a user. It keeps the set of the user's friends current from
 * the events it receives, so each dialogue is checked without a database round trip.
 */
export class UserSession implements SessionHandle {
  readonly id = randomHex128();
  readonly openedAt = Date.now();
  readonly friends = new Set<string>();
  /** Friend changes seen before the snapshot was read; replayed over it, in order. */
  private changesBeforeSnapshot: { peer: string; friend: boolean }[] | null = [];

  constructor(
    readonly account: Account,
    private readonly transport: Transport,
  ) {}

  get userId(): string {
    return this.account.id;
  }

  deliver(event: SessionEvent): boolean {
    if (event.type === 'friend-updated') this.noteFriend(event.friend.id, true);
    else if (event.type === 'relation-deleted') this.noteFriend(event.peer, false);
    else if (event.type === 'dialogue' && event.originSession === this.id) return false;
    return this.transport.send(event, this);
  }

  close(code: number, reason: string): void {
    this.transport.close(code, reason);
  }

  /** Sets the friends read from the store, then applies what changed while it was read. */
  seedFriends(ids: readonly string[]): void {
    const changes = this.changesBeforeSnapshot ?? [];
    this.changesBeforeSnapshot = null;
    for (const id of ids) this.friends.add(id);
    for (const change of changes) this.noteFriend(change.peer, change.friend);
  }

  private noteFriend(peer: string, friend: boolean): void {
    this.changesBeforeSnapshot?.push({ peer, friend });
    if (friend) this.friends.add(peer);
    else this.friends.delete(peer);
  }
}

export interface Snapshot {
  friends: FriendView[];
  requests: FriendRequestView[];
}

export interface DialogueInput {
  id: string;
  to: string;
  payload: string;
}

/** Session life cycle (presence, device limit) and live 1:1 dialogues. */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly maxSessionsPerUser: number,
  ) {}

  /**
   * Registers the session before reading the snapshot, so nothing that happens in between
   * is missed; the transport holds such events until the snapshot has been sent.
   */
  async open(account: Account, transport: Transport): Promise<{ session: UserSession; snapshot: Snapshot }> {
    const session = new UserSession(account, transport);
    const { first } = await this.bus.attach(session);
    let friends, requests, online;
    try {
      [friends, requests] = await Promise.all([this.store.friendsOf(account.id), this.store.requestsTo(account.id)]);
      online = await this.bus.online(friends.map((f) => f.peer.id));
    } catch (err) {
      await this.bus.detach(session);
      throw err;
    }
    session.seedFriends(friends.map((f) => f.peer.id));
    if (first) await this.announce(account, true);
    this.evictOldest(account.id);
    return {
      session,
      snapshot: {
        friends: friends.map((f) => friendView(f.peer, f.alias, online.has(f.peer.id))),
        requests: requests.map((r) => requestView(r.from, account.id, r.note)),
      },
    };
  }

  private readonly closing = new Set<Promise<void>>();

  async closed(session: UserSession): Promise<void> {
    const work = (async () => {
      const { last } = await this.bus.detach(session);
      if (last) await this.announce(session.account, false);
    })();
    this.closing.add(work);
    try {
      await work;
    } finally {
      this.closing.delete(work);
    }
  }

  /** Waits for sessions that are closing to finish their offline announcements. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.closing]);
  }

  /**
   * Live-only, as the minami seed says: accepted once at least one of the friend's
   * sessions took it; nothing is stored. The sender's other sessions get a copy.
   */
  async sendDialogue(session: UserSession, input: DialogueInput): Promise<Result> {
    if (!session.friends.has(input.to)) return refuse('not-friends');
    const event: SessionEvent = { type: 'dialogue', id: input.id, from: session.userId, to: input.to, payload: input.payload, originSession: session.id };
    const reached = await this.bus.publish([input.to], event);
    if (reached === 0) return refuse((await this.bus.online([input.to])).has(input.to) ? 'send-failed' : 'friend-offline');
    await this.bus.publish([session.userId], event);
    return success(undefined);
  }

  /** Tells everyone who has this user as a friend that they came online or went offline. */
  private async announce(account: Account, online: boolean): Promise<void> {
    for (const watcher of await this.store.aliasesFor(account.id)) {
      const friend = friendView(account, watcher.alias, online);
      await this.bus.publish([watcher.ownerId], online ? { type: 'friend-updated', friend } : { type: 'friend-offline', friend });
    }
  }

  private evictOldest(userId: string): void {
    const sessions = this.bus.localSessions(userId);
    for (const old of sessions.slice(0, Math.max(0, sessions.length - this.maxSessionsPerUser))) {
      old.deliver({ type: 'evicted' });
      old.close(CLOSE_EVICTED, 'Login In Other Place');
    }
  }
}
