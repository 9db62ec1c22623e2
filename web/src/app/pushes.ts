import type { Frame } from '../../../client/frames.js';
import type { FriendEntry, RequestEntry, StoredMessage } from '../../../client/live.js';
import { translate, type Key, type Vars } from '../i18n.js';
import { normalizeAddress } from '../lib/format.js';
import type { CallManager } from './calls.js';
import type { Conversations } from './conversations.js';
import type { Directory } from './directory.js';
import { isQueued, isSuccess, monsterProblem } from './errors.js';
import type { Inbox } from './inbox.js';
import { str, type ServerLink } from './link.js';
import { messageKey, type ChatMessage } from './messages.js';
import type { Notices } from './notices.js';
import type { Outbox } from './outbox.js';
import type { StateCell } from './state.js';

export interface PushParts {
  cell: StateCell;
  link: ServerLink;
  inbox: Inbox;
  directory: Directory;
  conversations: Conversations;
  outbox: Outbox;
  notices: Notices;
  calls: CallManager;
}

/**
 * Everything the server says unasked on the login socket — Monster pushes (300), minami
 * pushes (numeric codes), live dialogues and answers that came too late — handed to the part
 * of the client it concerns.
 */
export class PushRouter {
  constructor(private readonly parts: PushParts) {}

  private get state() {
    return this.parts.cell.state;
  }

  private t(key: Key, vars?: Vars): string {
    return translate(this.state.lang, key, vars);
  }

  onPush(frame: Frame): void {
    if (typeof frame.seq === 'number') this.parts.inbox.noteSeq(frame.seq);
    if (typeof frame.time === 'number') this.parts.conversations.syncClock(frame.time);
    if (typeof frame.code === 'number') return this.onMinamiPush(frame);
    if (frame.code === undefined) {
      if (typeof frame.from === 'string' && typeof frame.payload === 'string') this.onDialogue(frame.from, String(frame.id ?? ''), frame.payload, false);
      return;
    }
    if (frame.statusCode !== '300') return this.onLateAnswer(frame);
    const { directory, notices } = this.parts;
    switch (String(frame.code)) {
      case '2001':
        return this.onStored(frame as unknown as StoredMessage);
      case '2004':
        return this.onRecall(str(frame.from), str(frame.to), str(frame.recallMessageId || frame.messageId));
      case '1001':
        return directory.onApplication(normalizeAddress(str(frame.to)), normalizeAddress(str(frame.from)), str(frame.note));
      case '1002':
        return void directory.onAccepted(normalizeAddress(str(frame.from)));
      case '1003':
        return notices.toast('info', 'notice.refused', { name: directory.displayName(normalizeAddress(str(frame.from))) });
      case '1004':
        return directory.onMembershipEnded(normalizeAddress(str(frame.from)), str(frame.reason));
      case '3102':
        return directory.onGroupRenamed(normalizeAddress(str(frame.from)), str(frame.nickname));
      case '2002':
      case '2003':
      case '2005':
      case '2006':
      case '2007':
      case '2008':
      case '2009':
        return this.parts.calls.onPush(frame);
    }
  }

  /**
   * An answer that came after its request stopped waiting: another server's answer to a
   * frame that was queued for it (202), its refusal of a change made here, or a slow answer.
   */
  private onLateAnswer(frame: Frame): void {
    const { link, conversations, directory, notices } = this.parts;
    const me = this.state.me;
    const messageId = str(frame.messageId);
    if (!me || !messageId || isQueued(frame)) return;
    const ok = isSuccess(frame);
    const code = String(frame.code);
    if (code === '2001') {
      const key = messageKey(me.address, messageId);
      const address = Object.keys(this.state.conversations).find((a) => this.state.conversations[a]!.messages.some((m) => m.key === key));
      link.queued.delete(messageId);
      if (!address) return;
      const current = this.state.conversations[address]!.messages.find((m) => m.key === key)!;
      if (!ok) return conversations.patchMessage(address, key, { state: 'failed', problem: monsterProblem(frame) });
      if (current.state === 'stored') return;
      this.parts.outbox.release(key);
      const id = typeof frame.id === 'number' && !directory.isRemoteGroup(address) ? frame.id : current.id;
      conversations.patchMessage(address, key, { state: 'stored', id, problem: undefined });
      return;
    }
    if (code === '1001') {
      const pending = link.queued.get(messageId);
      link.queued.delete(messageId);
      if (!ok) return notices.toast('error', 'notice.lateRefused', { reason: this.t(monsterProblem(frame).key, monsterProblem(frame).vars) }, monsterProblem(frame));
      const name = pending?.name ?? '';
      const type = str(frame.type);
      if (type === '1' && pending) void directory.discover(pending.address, 'member');
      if (type === '1') notices.toast('info', pending && directory.isGroupAddress(pending.address) ? 'notice.lateJoined' : 'notice.lateFriends', { name });
      else if (type === '2') notices.toast('info', 'notice.lateWaiting', { name });
      else if (type === '3') notices.toast('error', 'notice.lateWrongPass', { name });
      return;
    }
    if (!ok) {
      const problem = monsterProblem(frame);
      notices.toast('error', 'notice.lateRefused', { reason: this.t(problem.key, problem.vars) }, problem);
    }
  }

  private onMinamiPush(frame: Frame): void {
    const { directory } = this.parts;
    switch (frame.code) {
      case 520:
        return directory.onRequest(frame.request as RequestEntry | undefined);
      case 301:
      case 300:
        return directory.onFriend(frame.friend as FriendEntry | undefined, frame.code === 301);
      case 1004:
        return directory.onFriendGone(str(frame.from));
      case 302: {
        const to = this.state.friends.find((x) => x.id === frame.to);
        if (to && typeof frame.payload === 'string') this.onDialogue(to.id, String(frame.id ?? ''), frame.payload, true);
        return;
      }
      case 513:
        this.parts.cell.set({ evicted: true });
        return;
    }
  }

  /** A minami dialogue (live, not stored) from a friend, or a copy of one sent from another device. */
  private onDialogue(friendId: string, id: string, payload: string, mine: boolean): void {
    const friend = this.state.friends.find((x) => x.id === friendId);
    const me = this.state.me;
    if (!friend || !me) return;
    const from = mine ? me.address : friend.address;
    const msg: ChatMessage = {
      key: `live\n${from}\n${id}\n${Date.now()}`,
      messageId: id,
      from,
      to: mine ? friend.address : me.address,
      text: payload,
      time: this.parts.conversations.now(friend.address),
      state: mine ? 'stored' : 'received',
      live: true,
    };
    this.parts.conversations.addMessages(friend.address, [msg]);
  }

  private onStored(m: StoredMessage): void {
    const { conversations, inbox, directory } = this.parts;
    const me = this.state.me;
    if (!me || typeof m.messageId !== 'string' || typeof m.from !== 'string') return;
    const from = normalizeAddress(m.from);
    const to = normalizeAddress(str(m.to));
    const conv = conversations.conversationOf(from, to);
    const msg = conversations.fromStored({ ...m, from, to });
    conversations.addMessages(conv, [msg]);
    if (from !== me.address && !msg.recalled) inbox.arrived(conv, msg.id!);
    directory.learnNames([msg]);
  }

  private onRecall(fromRaw: string, toRaw: string, messageId: string): void {
    const { conversations } = this.parts;
    const from = normalizeAddress(fromRaw);
    const conv = conversations.conversationOf(from, normalizeAddress(toRaw));
    const key = messageKey(from, messageId);
    const existing = this.state.conversations[conv]?.messages.find((m) => m.key === key);
    if (existing) conversations.addMessages(conv, [{ ...existing, recalled: true, text: '' }]);
    else {
      const c = this.state.conversations[conv];
      if (c?.last?.key === key) conversations.updateConversation(conv, { last: { ...c.last, recalled: true, text: '' } });
    }
    if (existing?.id !== undefined) this.parts.inbox.dropUnread(conv, existing.id);
  }
}
