import type { AccountStorage } from './storage.js';
import type { StateCell } from './state.js';

/**
 * Where the signed-in account's inbox stands in this browser: the last inbox number seen and,
 * per conversation, what is read and what is not. It lives in localStorage so that every
 * tab shows the same counts and a reload resumes where the page left off.
 */
export class Inbox {
  /** The highest inbox number this page has seen; reconnections resume after it. */
  seq = 0;
  storage: AccountStorage | null = null;

  constructor(private readonly cell: StateCell) {}

  noteSeq(seq: number): void {
    if (seq > this.seq) this.seq = seq;
    this.storage?.noteSeq(seq);
  }

  arrived(address: string, id: number): void {
    const visible = document.visibilityState === 'visible' && this.cell.state.active === address;
    if (visible) return this.markRead(address, id);
    const storage = this.storage;
    if (!storage) return;
    if ((storage.read[address] ?? 0) >= id) return;
    const unread = storage.unread;
    const list = unread[address] ?? [];
    if (!list.includes(id)) unread[address] = [...list, id].slice(-500);
    storage.unread = unread;
    this.cell.set({ unread: this.counts() });
    this.updateTitle();
  }

  dropUnread(address: string, id: number): void {
    const storage = this.storage;
    if (!storage) return;
    const unread = storage.unread;
    if (!unread[address]?.includes(id)) return;
    unread[address] = unread[address]!.filter((x) => x !== id);
    storage.unread = unread;
    this.cell.set({ unread: this.counts() });
    this.updateTitle();
  }

  /** Marks a conversation read up to `upTo` (or everything known); other tabs follow. */
  markRead(address: string, upTo?: number): void {
    const storage = this.storage;
    if (!storage) return;
    const conv = this.cell.state.conversations[address];
    const unread = storage.unread;
    let max = upTo ?? 0;
    if (upTo === undefined) {
      for (const m of conv?.messages ?? []) if (m.id !== undefined && m.id > max) max = m.id;
      for (const id of unread[address] ?? []) if (id > max) max = id;
    }
    const read = storage.read;
    if (max > (read[address] ?? 0)) {
      read[address] = max;
      storage.read = read;
    }
    const left = (unread[address] ?? []).filter((id) => id > (read[address] ?? 0));
    if (left.length !== (unread[address]?.length ?? 0)) {
      if (left.length) unread[address] = left;
      else delete unread[address];
      storage.unread = unread;
    }
    const counts = this.counts();
    const shown = this.cell.state.unread;
    if ((counts[address] ?? 0) !== (shown[address] ?? 0) || Object.keys(counts).length !== Object.keys(shown).length) {
      this.cell.set({ unread: counts });
      this.updateTitle();
    }
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    const storage = this.storage;
    if (!storage) return counts;
    const read = storage.read;
    for (const [address, ids] of Object.entries(storage.unread)) {
      const n = ids.filter((id) => id > (read[address] ?? 0)).length;
      if (n) counts[address] = n;
    }
    return counts;
  }

  updateTitle(): void {
    const total = Object.values(this.cell.state.unread).reduce((a, b) => a + b, 0);
    document.title = total ? `(${total}) monami` : 'monami';
  }

  /** Another tab read or received messages: its storage write is the only sign of it. */
  onStorageKey(key: string | null): void {
    const storage = this.storage;
    if (storage && (key === storage.key('unread') || key === storage.key('read'))) {
      this.cell.set({ unread: this.counts() });
      this.updateTitle();
    }
  }
}
