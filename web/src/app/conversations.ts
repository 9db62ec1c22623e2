import type { StoredMessage } from '../../../client/live.js';
import { decodeText } from '../../../client/monster.js';
import { normalizeAddress } from '../lib/format.js';
import type { Directory } from './directory.js';
import type { Inbox } from './inbox.js';
import type { ServerLink } from './link.js';
import { emptyConversation, lastOf, mergeMessages, messageKey, oldestId, type ChatMessage, type Conversation } from './messages.js';
import type { StateCell } from './state.js';

/** How many messages a history page holds. */
export const PAGE = 30;

/**
 * The messages of each conversation as far as this page knows them: history read in pages
 * from the server, the latest message of every chat for the list, and whatever arrives or
 * is sent meanwhile, merged into one ordered list.
 */
export class Conversations {
  private clockOffset = 0;

  constructor(
    private readonly cell: StateCell,
    private readonly link: ServerLink,
    private readonly inbox: Inbox,
    private readonly directory: Directory,
  ) {}

  /** Keeps local timestamps in step with the server's, whose clock orders the messages. */
  syncClock(serverTime: number): void {
    this.clockOffset = serverTime - Date.now();
  }

  /** The server's time, and never before the conversation's last message. */
  now(address: string): number {
    const conv = this.cell.state.conversations[address];
    const last = conv ? lastOf(conv) : undefined;
    return Math.max(Date.now() + this.clockOffset, (last?.time ?? 0) + 1);
  }

  /** The conversation a message belongs to: the other person, or the group it was sent to. */
  conversationOf(from: string, to: string): string {
    const s = this.cell.state;
    const me = s.me?.address;
    const target = from === me ? to : to === me ? from : to;
    if (!s.friends.some((f) => f.address === target) && !s.groups.some((g) => g.address === target)) void this.directory.discover(target, 'member');
    return target;
  }

  fromStored(m: StoredMessage): ChatMessage {
    const from = normalizeAddress(m.from);
    let text = '';
    if (!m.recalled && m.text) {
      try {
        text = decodeText(m.text);
      } catch {
        text = '\uFFFD';
      }
    }
    return {
      key: messageKey(from, m.messageId),
      messageId: m.messageId,
      id: m.id,
      from,
      to: normalizeAddress(m.to),
      text,
      time: m.time,
      state: from === this.cell.state.me?.address ? 'stored' : 'received',
      recalled: !!m.recalled,
    };
  }

  updateConversation(address: string, patch: Partial<Conversation>): void {
    this.cell.set((s) => {
      const conv = s.conversations[address] ?? emptyConversation(address);
      return { conversations: { ...s.conversations, [address]: { ...conv, ...patch } } };
    });
  }

  addMessages(address: string, messages: ChatMessage[]): void {
    this.cell.set((s) => {
      const conv = s.conversations[address] ?? emptyConversation(address);
      return { conversations: { ...s.conversations, [address]: { ...conv, messages: mergeMessages(conv.messages, messages) } } };
    });
  }

  patchMessage(address: string, key: string, patch: Partial<ChatMessage>): void {
    const conv = this.cell.state.conversations[address];
    const msg = conv?.messages.find((m) => m.key === key);
    if (msg) this.addMessages(address, [{ ...msg, ...patch }]);
  }

  open(address: string | null): void {
    this.cell.set({ active: address });
    if (!address) return;
    this.inbox.markRead(address);
    const conv = this.cell.state.conversations[address];
    if (!conv?.latestLoaded) void this.loadLatest(address);
    const group = this.cell.state.groups.find((g) => g.address === address);
    if (group) void this.directory.members(address).catch(() => undefined);
  }

  private async loadLatest(address: string): Promise<void> {
    this.updateConversation(address, { older: 'loading' });
    try {
      const answer = await this.link.must({ code: '3002', to: address, limit: PAGE });
      const page = ((answer.messages as StoredMessage[] | undefined) ?? []).map((m) => this.fromStored(m));
      this.addMessages(address, page);
      this.directory.learnNames(page);
      this.updateConversation(address, { latestLoaded: true, older: page.length < PAGE ? 'done' : 'idle' });
      if (this.cell.state.active === address) this.inbox.markRead(address);
    } catch {
      this.updateConversation(address, { older: 'error' });
    }
  }

  /** The page of history before the oldest message shown. */
  async loadOlder(address: string): Promise<void> {
    const conv = this.cell.state.conversations[address];
    if (!conv || conv.older === 'loading' || conv.older === 'done') return;
    if (!conv.latestLoaded) return this.loadLatest(address);
    const before = oldestId(conv);
    if (before === undefined) return this.loadLatest(address);
    this.updateConversation(address, { older: 'loading' });
    try {
      const answer = await this.link.must({ code: '3002', to: address, limit: PAGE, before });
      const page = ((answer.messages as StoredMessage[] | undefined) ?? []).map((m) => this.fromStored(m));
      this.addMessages(address, page);
      this.directory.learnNames(page);
      this.updateConversation(address, { older: page.length < PAGE ? 'done' : 'idle' });
    } catch {
      this.updateConversation(address, { older: 'error' });
    }
  }

  /** The last message of every conversation, so the chat list can show and order them. */
  async loadPreviews(): Promise<void> {
    const s = this.cell.state;
    const addresses = [...s.friends.map((f) => f.address), ...s.groups.map((g) => g.address)].slice(0, 100);
    await Promise.all(
      addresses.map(async (address) => {
        try {
          const answer = await this.link.must({ code: '3002', to: address, limit: 1 });
          const m = (answer.messages as StoredMessage[] | undefined)?.[0];
          if (!m) return;
          const last = this.fromStored(m);
          this.updateConversation(address, { last });
          if (this.directory.isGroupAddress(address)) this.directory.learnNames([last]);
        } catch {
          /* no preview */
        }
      }),
    );
  }
}
