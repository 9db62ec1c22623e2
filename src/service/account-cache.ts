import type { AccountRecord } from '../store/store.js';

/**
 * Accounts by name for the Monster hot path (every frame names its target). Entries live
 * a few seconds, which bounds how stale a change made on another node can be seen here;
 * changes made through this node drop their entry at once. Bounded in size.
 */
export class AccountCache {
  private readonly entries = new Map<string, { account: AccountRecord; expires: number }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 50_000,
  ) {}

  /** A fresh entry at hand, without waiting; undefined when `get` would have to load it. */
  peek(name: string): AccountRecord | undefined {
    const hit = this.entries.get(name);
    return hit && hit.expires > Date.now() ? hit.account : undefined;
  }

  async get(name: string, load: (name: string) => Promise<AccountRecord | null>): Promise<AccountRecord | null> {
    const hit = this.peek(name);
    if (hit) return hit;
    const now = Date.now();
    const account = await load(name);
    if (account) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(name, { account, expires: now + this.ttlMs });
    } else this.entries.delete(name);
    return account;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}
