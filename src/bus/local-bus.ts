import type { SessionEvent } from '../domain/events.js';
import type { InboxKind, StoredMessage } from '../domain/message.js';
import type { Bus, SessionHandle } from './bus.js';

/** The single-node bus: a map from user to their sessions in this process. */
export class LocalBus implements Bus {
  private readonly sessions = new Map<string, SessionHandle[]>();

  async attach(session: SessionHandle): Promise<{ first: boolean }> {
    const list = this.sessions.get(session.userId);
    if (list) {
      list.push(session);
      return { first: false };
    }
    this.sessions.set(session.userId, [session]);
    return { first: true };
  }

  async detach(session: SessionHandle): Promise<{ last: boolean }> {
    const list = this.sessions.get(session.userId);
    const index = list ? list.indexOf(session) : -1;
    if (!list || index < 0) return { last: false };
    list.splice(index, 1);
    if (list.length > 0) return { last: false };
    this.sessions.delete(session.userId);
    return { last: true };
  }

  async publish(userIds: readonly string[], event: SessionEvent): Promise<number> {
    let reached = 0;
    for (const userId of userIds) {
      const list = this.sessions.get(userId);
      if (!list) continue;
      for (const session of list) if (session.deliver(event)) reached++;
    }
    return reached;
  }

  async publishInbox(seqs: ReadonlyMap<string, number>, kind: InboxKind, message: StoredMessage, originSession?: string): Promise<void> {
    for (const [userId, seq] of seqs) {
      const list = this.sessions.get(userId);
      if (!list) continue;
      const event: SessionEvent = { type: 'inbox', entry: { seq, kind, message }, ...(originSession ? { originSession } : {}) };
      for (const session of list) session.deliver(event);
    }
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.sessions.has(id)));
  }

  localSessions(userId: string): readonly SessionHandle[] {
    return this.sessions.get(userId) ?? [];
  }

  /** Users with a session here. */
  users(): string[] {
    return [...this.sessions.keys()];
  }

  /** One node: nobody else to tell. */
  async broadcast(): Promise<void> {}

  onClusterMessage(): void {}

  async request(): Promise<unknown> {
    return null;
  }

  onRequest(): void {}

  /** One process: its sessions die with it, and nobody is left to tell. */
  onUsersLost(): void {}

  async close(): Promise<void> {
    this.sessions.clear();
  }
}
