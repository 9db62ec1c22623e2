import type { FederationStore, PeerRule } from '../store/federation-store.js';

export type FederationMode = 'open' | 'allowlist' | 'off';

const REFRESH_MS = 2_000;

/**
 * Which remote servers this one talks to. `open`: all but the blocked; `allowlist`: only
 * the allowed; `off`: none. Rules come from configuration and from the database (the
 * `monami federation` command), which is reread every few seconds so a block applies
 * without a restart. A block always wins.
 */
export class PeerPolicy {
  private rules = new Map<string, PeerRule>();
  private loadedAt = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly mode: FederationMode,
    private readonly allowed: readonly string[],
    private readonly blocked: readonly string[],
    private readonly store: FederationStore,
  ) {}

  async load(): Promise<void> {
    this.rules = await this.store.peerRules();
    this.loadedAt = Date.now();
  }

  /** Whether `domain` may be contacted and may contact us; rereads the rules when they are old. */
  async allows(domain: string): Promise<boolean> {
    if (Date.now() - this.loadedAt > REFRESH_MS) {
      this.refreshing ??= this.load().finally(() => (this.refreshing = null));
      await this.refreshing.catch(() => undefined);
    }
    if (this.mode === 'off') return false;
    if (this.blocked.includes(domain) || this.rules.get(domain) === 'block') return false;
    if (this.mode === 'allowlist') return this.allowed.includes(domain) || this.rules.get(domain) === 'allow';
    return true;
  }
}
