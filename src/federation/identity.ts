import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { FederationStore, ServerKey } from '../store/federation-store.js';

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyFromRaw(base64: string): KeyObject | null {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

export function verifySignature(publicKey: KeyObject, data: string, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(data), publicKey, sig);
}

function newKey(): ServerKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
  const keyId = `ed25519:${createHash('sha256').update(raw).digest('base64url').slice(0, 12)}`;
  return { keyId, privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: raw.toString('base64') };
}

/**
 * This server's Ed25519 signing key: created on first start and kept in the database, so
 * every node of a deployment signs with the same key and a restart keeps it.
 */
export class ServerIdentity {
  private constructor(
    readonly domain: string,
    readonly keyId: string,
    readonly publicKey: string,
    private readonly privateKey: KeyObject,
  ) {}

  static async load(domain: string, store: FederationStore): Promise<ServerIdentity> {
    const key = await store.serverKey(newKey);
    return new ServerIdentity(domain, key.keyId, key.publicKey, createPrivateKey(key.privateKey));
  }

  sign(data: string): string {
    return sign(null, Buffer.from(data), this.privateKey).toString('base64url');
  }
}
