import type { Frame } from '../../../client/frames.js';
import { SessionError } from '../../../client/live.js';
import { encodeText } from '../../../client/monster.js';
import { newMessageId } from '../lib/format.js';
import type { Conversations } from './conversations.js';
import type { Directory } from './directory.js';
import { isQueued, isSuccess, monsterProblem, ProblemError, transportProblem } from './errors.js';
import type { Inbox } from './inbox.js';
import type { ServerLink } from './link.js';
import { messageKey } from './messages.js';
import type { StateCell } from './state.js';

/** 2001 `text` is at most 65 536 base64 characters: 49 152 bytes of UTF-8. */
export const MAX_TEXT_BYTES = 49_152;
const SEND_TIMEOUT_MS = 15_000;
const OUTBOX_WAIT_MS = 30_000;

/**
 * Sending and recalling messages. A message written while the connection is down is held
 * and sent when it is back, so a short outage costs the user nothing; one held too long
 * shows as failed and can be retried.
 */
export class Outbox {
  private readonly held = new Map<string, { address: string; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly cell: StateCell,
    private readonly link: ServerLink,
    private readonly inbox: Inbox,
    private readonly directory: Directory,
    private readonly conversations: Conversations,
  ) {}

  send(address: string, text: string): void {
    const me = this.cell.state.me;
    if (!me || !text.trim()) return;
    const messageId = newMessageId();
    const key = messageKey(me.address, messageId);
    this.conversations.addMessages(address, [{ key, messageId, from: me.address, to: address, text, time: this.conversations.now(address), state: 'sending' }]);
    void this.deliver(address, key);
  }

  retry(address: string, key: string): void {
    void this.deliver(address, key);
  }

  /** Once connected again: everything held goes out. */
  sendHeld(): void {
    for (const [key, { address }] of this.held) void this.deliver(address, key);
  }

  /** Sends (or resends, with the same messageId: the server stores it once) a 2001. */
  private async deliver(address: string, key: string): Promise<void> {
    const msg = this.cell.state.conversations[address]?.messages.find((m) => m.key === key);
    if (!msg) return;
    this.conversations.patchMessage(address, key, { state: 'sending', problem: undefined });
    if (!this.link.session?.open) return this.hold(address, key);
    this.release(key);
    let answer: Frame;
    try {
      answer = await this.link.request({ code: '2001', to: address, text: encodeText(msg.text), messageId: msg.messageId }, SEND_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof SessionError && err.reason === 'closed') return this.hold(address, key);
      this.conversations.patchMessage(address, key, { state: 'failed', problem: transportProblem(err) });
      return;
    }
    const current = this.cell.state.conversations[address]?.messages.find((m) => m.key === key);
    // The message's own push (a post to another server's group) may have come first.
    if (current?.state === 'stored' && current.id !== undefined) return;
    if (answer.statusCode === '200') {
      if (typeof answer.seq === 'number') this.inbox.noteSeq(answer.seq);
      // A group of another server answers with its own numbers; this server's come with the push.
      const remote = this.directory.isRemoteGroup(address);
      const id = typeof answer.id === 'number' && !remote ? answer.id : current?.id;
      const time = typeof answer.time === 'number' && !remote ? answer.time : msg.time;
      this.conversations.patchMessage(address, key, { state: 'stored', id, time });
      if (id !== undefined) this.inbox.markRead(address, id);
    } else if (isQueued(answer)) {
      this.link.queued.set(msg.messageId, { address, name: this.directory.displayName(address) });
      this.conversations.patchMessage(address, key, { state: 'queued' });
    } else this.conversations.patchMessage(address, key, { state: 'failed', problem: monsterProblem(answer) });
  }

  /** Keeps a message until the connection is back; after a while it shows as failed. */
  private hold(address: string, key: string): void {
    if (this.held.has(key)) return;
    const timer = setTimeout(() => {
      this.held.delete(key);
      this.conversations.patchMessage(address, key, { state: 'failed', problem: { key: 'err.closed' } });
    }, OUTBOX_WAIT_MS);
    this.held.set(key, { address, timer });
  }

  release(key: string): void {
    const held = this.held.get(key);
    if (held) clearTimeout(held.timer);
    this.held.delete(key);
  }

  /** Signed out: nothing held may go out under the next account. */
  drop(): void {
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }

  async recall(address: string, key: string): Promise<void> {
    const msg = this.cell.state.conversations[address]?.messages.find((m) => m.key === key);
    if (!msg) return;
    let answer: Frame;
    try {
      answer = await this.link.request({ code: '2004', to: address, recallMessageId: msg.messageId });
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    // 202: queued for a group of another server; a refusal from there follows as a late answer.
    if (!isSuccess(answer) && !isQueued(answer)) throw new ProblemError(monsterProblem(answer));
    this.conversations.patchMessage(address, key, { recalled: true, text: '' });
  }
}
