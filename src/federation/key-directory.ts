import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from './identity.js';
import { getRemoteJson, type Transport } from './remote-http.js';

/** Where a server publishes its keys. */
export const KEYS_PATH = '/.well-known/monami/server';
/** Longest a fetched key is trusted before it is fetched again, whatever the document says. */
const MAX_CACHE_MS = 60 * 60_000;
/**
 * A server's document is not fetched again sooner than this after a failure, or to look
 * for a key id it did not list: a flood of handshakes cannot make us hammer a server.
 */
const REFETCH_MS = 10_000;

export interface KeyDocument {
  server: string;
  keys: { id: string; publicKey: string }[];
  /** Epoch milliseconds until which the keys may be cached. */
  validUntil: number;
}

export function isKeyDocument(value: unknown): value is KeyDocument {
  const v = value as KeyDocument;
  return !!v && typeof v.server === 'string' && typeof v.validUntil === 'number' && Array.isArray(v.keys)
    && v.keys.length <= 16 && v.keys.every((k) => k && typeof k.id === 'string' && typeof k.publicKey === 'string');
}

interface Cached {
  keys: Map<string, KeyObject>;
  until: number;
  fetchedAt: number;
}

/** Remote servers' public keys, fetched from their well-known URL and cached until expiry. */
export class KeyDirectory {
  private readonly cache = new Map<string, Cached>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Cached>>();

  constructor(private readonly transport: Transport) {}

  /** The origin's key with this id, or null when the origin does not publish it. */
  async key(origin: string, keyId: string, now = Date.now()): Promise<KeyObject | null> {
    let cached = this.cache.get(origin);
    const expired = !cached || cached.until < now;
    if (expired || !cached!.keys.has(keyId)) {
      const failedAt = this.failures.get(origin);
      if (failedAt !== undefined && now - failedAt < REFETCH_MS) throw new Error(`keys of ${origin} could not be fetched recently`);
      // An unknown key id of a fresh document: a new key, at most once per interval.
      if (!expired && now - cached!.fetchedAt < REFETCH_MS) return null;
      cached = await this.fetch(origin, now);
    }
    return cached!.keys.get(keyId) ?? null;
  }

  private fetch(origin: string, now: number): Promise<Cached> {
    let pending = this.inFlight.get(origin);
    if (!pending) {
      pending = (async () => {
        try {
          const doc = await getRemoteJson(this.transport, origin, KEYS_PATH);
          if (!isKeyDocument(doc) || doc.server !== origin) throw new Error(`${origin} published no key document for itself`);
          const keys = new Map<string, KeyObject>();
          for (const k of doc.keys) {
            const key = publicKeyFromRaw(k.publicKey);
            if (key) keys.set(k.id, key);
          }
          const cached = { keys, until: Math.min(doc.validUntil, now + MAX_CACHE_MS), fetchedAt: now };
          this.cache.set(origin, cached);
          this.failures.delete(origin);
          return cached;
        } catch (err) {
          this.failures.set(origin, now);
          throw err;
        } finally {
          this.inFlight.delete(origin);
        }
      })();
      this.inFlight.set(origin, pending);
    }
    return pending;
  }
}
