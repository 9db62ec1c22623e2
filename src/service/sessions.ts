import { randomUUID } from 'node:crypto';
import { isRemoteAccount, type Account, type FriendRequestView, type FriendView } from '../domain/account.js';
import type { SessionEvent } from '../domain/events.js';
import type { InboxEntry } from '../domain/message.js';
import { MonsterLimits } from '../domain/monster.js';
import type { Bus, SessionHandle } from '../bus/bus.js';
import type { Membership, SessionStart, Store } from '../store/store.js';
import { refuse, success, type Result } from './errors.js';
import type { RemoteServers } from './remote.js';
import { friendView, requestView } from './views.js';
import { tellWatchers } from './watchers.js';

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
  /** Never leaves the servers and need only be unique: a UUID comes from buffered randomness (about 0.2 µs, randomHex128 about 3 µs). */
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  readonly friends = new Set<string>();
  /** Friend changes seen before the snapshot was read; replayed over it, in order. */
  private changesBeforeSnapshot: { peer: string; friend: boolean }[] | null = [];

  constructor(
    /** The user as the session's frames name them; replaced when they change their profile. */
    public account: Account,
    private readonly transport: Transport,
  ) {}

  get userId(): string {
    return this.account.id;
  }

  deliver(event: SessionEvent): boolean {
    if (event.type === 'friend-updated') this.noteFriend(event.friend.id, true);
    else if (event.type === 'relation-deleted') this.noteFriend(event.peer, false);
    else if (event.type === 'dialogue' && event.originSession === this.id) return false;
    else if (event.type === 'inbox') return this.deliverInbox(event);
    else if (event.type === 'profile-changed') {
      this.account = event.account;
      return false;
    }
    else if (event.type === 'call' && ((event.onlySession && event.onlySession !== this.id) || event.exceptSession === this.id)) return false;
    return this.transport.send(event, this);
  }

  close(code: number, reason: string): void {
    this.transport.close(code, reason);
  }

  /** Highest inbox number this session has been given: nothing at or below it is sent again. */
  private inboxSeq = 0;
  /** Live inbox entries that arrive while the backlog is being replayed wait here. */
  private heldInbox: Extract<SessionEvent, { type: 'inbox' }>[] | null = null;
  /** Told of each inbox number handed to the client, to keep the user's delivered mark. */
  onInboxDelivered: ((seq: number) => void) | null = null;
  /**
   * Asked to catch up from the store when a live entry skips numbers: with several nodes,
   * an entry committed earlier on another node can arrive after a later one.
   */
  onInboxGap: (() => void) | null = null;

  get lastInboxSeq(): number {
    return this.inboxSeq;
  }

  /**
   * Starts a replay after `since`: live entries are held until `finishReplay`. A session
   * is never given an entry twice, so a replay never goes below what it already has.
   */
  startReplay(since: number): void {
    this.inboxSeq = Math.max(this.inboxSeq, since);
    this.heldInbox ??= [];
  }

  replay(entries: readonly InboxEntry[]): void {
    for (const entry of entries) this.handOver({ type: 'inbox', entry });
  }

  finishReplay(): void {
    const held = this.heldInbox ?? [];
    this.heldInbox = null;
    for (const event of held) this.deliverInbox(event);
  }

  private deliverInbox(event: Extract<SessionEvent, { type: 'inbox' }>): boolean {
    if (this.heldInbox) {
      this.heldInbox.push(event);
      return true;
    }
    // Numbers are given in commit order, so the missing ones are already in the store.
    if (event.entry.seq > this.inboxSeq + 1 && this.onInboxGap) {
      this.heldInbox = [event];
      this.onInboxGap();
      return true;
    }
    return this.handOver(event);
  }

  /** Numbers of messages this session sent, which its client learnt from their answers. */
  private readonly answered = new Set<number>();

  /** The message this session sent was numbered `seq` in the user's inbox (its answer says so). */
  noteAnswered(seq: number): void {
    if (this.answered.size >= 10_000) this.answered.clear();
    this.answered.add(seq);
  }

  private handOver(event: Extract<SessionEvent, { type: 'inbox' }>): boolean {
    const { seq } = event.entry;
    if (seq <= this.inboxSeq) return true;
    this.inboxSeq = seq;
    // The sending session learns the number from its answer; it needs no copy (live, or
    // read back from the store when catching up).
    if (this.answered.delete(seq) || event.originSession === this.id) return true;
    const sent = this.transport.send(event, this);
    if (sent) this.onInboxDelivered?.(seq);
    return sent;
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
  /** Groups and channels the user belongs to (not pending applications). */
  groups: Membership[];
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
    /** Other servers, for dialogues with remote friends; null when federation is off. */
    private readonly remote: RemoteServers | null = null,
  ) {}

  /**
   * Registers the session before reading the snapshot, so nothing that happens in between
   * is missed; the transport holds such events until the snapshot has been sent.
   */
  async open(account: Account, transport: Transport, since?: number): Promise<{ session: UserSession; snapshot: Snapshot }> {
    const session = new UserSession(account, transport);
    session.onInboxDelivered = (seq) => this.noteDelivered(account.id, seq);
    // If the store is away, the replay still hands over what arrived (it finishes in any
    // case); the client fills the hole with `since` or 3003 later.
    session.onInboxGap = () => void this.replay(session, session.lastInboxSeq).catch(() => undefined);
    session.startReplay(0);
    const { first } = await this.bus.attach(session);
    try {
      const { friends, requests, groups, watchers, deliveredSeq, lastInboxSeq } = await this.store.sessionStart(account.id);
      // Without `since`: after what the user's sessions were last given.
      const from = since ?? Math.max(deliveredSeq, this.deliveredMarks.get(account.id) ?? 0);
      const online = await this.bus.online(friends.map((f) => f.peer.id));
      session.seedFriends(friends.map((f) => f.peer.id));
      if (first) await this.announce(account, true, watchers);
      this.evictOldest(account.id);
      await this.replayUpTo(session, from, lastInboxSeq);
      return {
        session,
        snapshot: {
          friends: friends.map((f) => friendView(f.peer, f.alias, online.has(f.peer.id))),
          requests: requests.map((r) => requestView(r.from, account.id, r.note)),
          groups: groups.filter((g) => g.role !== 'pending'),
        },
      };
    } catch (err) {
      // Whatever failed, a session that will never be used must not stay registered (it
      // would show the user online and swallow what is sent to them).
      await this.bus.detach(session);
      throw err;
    }
  }

  /**
   * Sends the session every inbox entry after `since`, in order, then whatever arrived
   * live meanwhile; an entry is never sent twice to one session.
   */
  async replay(session: UserSession, since: number): Promise<void> {
    await this.replayUpTo(session, since, await this.store.lastInboxSeq(session.userId));
  }

  /** `top` is the newest inbox entry, read after the session was registered. */
  private async replayUpTo(session: UserSession, since: number, top: number): Promise<void> {
    // A `since` beyond the newest entry (a client that kept a number from elsewhere) would
    // make the session skip entries still to come; it means "from the newest".
    session.startReplay(Math.min(since, top));
    try {
      // The usual reconnect has nothing to catch up on: then the inbox is not read at all.
      for (let cursor = since; cursor < top; ) {
        const page = await this.store.inboxAfter(session.userId, cursor, MonsterLimits.replayPage);
        session.replay(page);
        if (page.length < MonsterLimits.replayPage) break;
        cursor = page[page.length - 1]!.seq;
      }
    } finally {
      session.finishReplay();
    }
  }

  /** Users' delivered marks, written in batches rather than once per message. */
  private readonly deliveredMarks = new Map<string, number>();
  private markTimer: NodeJS.Timeout | null = null;

  private noteDelivered(userId: string, seq: number): void {
    if ((this.deliveredMarks.get(userId) ?? 0) < seq) this.deliveredMarks.set(userId, seq);
    this.markTimer ??= setTimeout(() => void this.flushDelivered(), 1000).unref();
  }

  private async flushDelivered(): Promise<void> {
    this.markTimer = null;
    const marks = new Map(this.deliveredMarks);
    this.deliveredMarks.clear();
    if (marks.size) await this.store.markDelivered(marks).catch(() => marks.forEach((seq, userId) => this.noteDelivered(userId, seq)));
  }

  /** Told when a session has closed (calls end with it). */
  readonly onSessionClosed: ((session: UserSession) => void)[] = [];

  private readonly closing = new Set<Promise<void>>();

  async closed(session: UserSession): Promise<void> {
    for (const listener of this.onSessionClosed) listener(session);
    const work = (async () => {
      const { last } = await this.bus.detach(session);
      const mark = this.deliveredMarks.get(session.userId);
      if (mark !== undefined) await this.store.markDelivered(new Map([[session.userId, mark]]));
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
    if (this.markTimer) clearTimeout(this.markTimer);
    await this.flushDelivered();
  }

  /**
   * Live-only, as the minami seed says: accepted once at least one of the friend's
   * sessions took it; nothing is stored. The sender's other sessions get a copy.
   */
  async sendDialogue(session: UserSession, input: DialogueInput): Promise<Result> {
    if (!session.friends.has(input.to)) return refuse('not-friends');
    const event: SessionEvent = { type: 'dialogue', id: input.id, from: session.userId, to: input.to, payload: input.payload, originSession: session.id };
    const reached = await this.bus.publish([input.to], event, 'everywhere');
    if (reached === 0) {
      const peer = this.remote ? await this.store.accountById(input.to) : null;
      if (peer && isRemoteAccount(peer)) return this.sendRemoteDialogue(session, peer, input);
      return refuse((await this.bus.online([input.to])).has(input.to) ? 'send-failed' : 'friend-offline');
    }
    await this.bus.publish([session.userId], event);
    return success(undefined);
  }

  /**
   * A dialogue with a friend on another server stays live-only: relayed now (Monster
   * extension 2012), accepted once their server wrote it to one of their sessions.
   */
  private async sendRemoteDialogue(session: UserSession, peer: Account, input: DialogueInput): Promise<Result> {
    let reply: Record<string, unknown>;
    try {
      reply = await this.remote!.ask(session.account, peer, { code: 2012, messageId: input.id, payload: input.payload });
    } catch {
      return refuse('send-failed');
    }
    if (String(reply.statusCode) !== '200') return refuse(String(reply.statusCode) === '480' ? 'friend-offline' : 'send-failed');
    await this.bus.publish([session.userId], { type: 'dialogue', id: input.id, from: session.userId, to: input.to, payload: input.payload, originSession: session.id });
    return success(undefined);
  }

  /** 2012 from another server: a remote friend's live dialogue, for this user's sessions now or never. */
  async receiveRemoteDialogue(from: Account, to: Account, id: string, payload: string): Promise<Result> {
    if ((await this.store.relation(to.id, from.id)).mine?.state !== 'friend') return refuse('not-friends');
    const reached = await this.bus.publish([to.id], { type: 'dialogue', id, from: from.id, to: to.id, payload, originSession: '' }, 'everywhere');
    return reached === 0 ? refuse('friend-offline') : success(undefined);
  }

  /** Tells everyone who has this user as a friend that they came online or went offline. */
  private async announce(account: Account, online: boolean, watchers?: SessionStart['watchers']): Promise<void> {
    await tellWatchers(this.bus, watchers ?? (await this.store.aliasesFor(account.id)), account, online, !online);
  }

  /** Users whose sessions died with their node: their friends hear they are offline. */
  async announceGone(userIds: readonly string[]): Promise<void> {
    for (const id of userIds) {
      const account = await this.store.accountById(id);
      if (account) await this.announce(account, false);
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
