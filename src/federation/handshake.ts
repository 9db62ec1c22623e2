import { randomBytes } from 'node:crypto';

/**
 * The signed handshake an origin server sends when it opens a federation link, in the
 * upgrade request's Authorization header:
 *
 *   Authorization: MonamiSig origin="a.example", destination="b.example", ts="1763800000000",
 *                  nonce="…", key="ed25519:…", sig="…"
 *
 * The signature covers the origin, the destination, the time and the nonce, so it proves
 * the origin, cannot be used at another server, expires, and is accepted once.
 */
export interface Handshake {
  origin: string;
  destination: string;
  /** Epoch milliseconds. */
  ts: number;
  nonce: string;
  keyId: string;
  sig: string;
}

export const HANDSHAKE_SCHEME = 'MonamiSig';
/** How far a handshake's time may be from ours, either way. */
export const HANDSHAKE_MAX_SKEW_MS = 5 * 60_000;
const MAX_HEADER = 1024;

export function signedText(h: Pick<Handshake, 'origin' | 'destination' | 'ts' | 'nonce'>): string {
  return `monami-federation-v1\n${h.origin}\n${h.destination}\n${h.ts}\n${h.nonce}`;
}

export function createHandshake(origin: string, destination: string, keyId: string, sign: (text: string) => string, now = Date.now()): Handshake {
  const unsigned = { origin, destination, ts: now, nonce: randomBytes(16).toString('hex') };
  return { ...unsigned, keyId, sig: sign(signedText(unsigned)) };
}

export function formatHandshake(h: Handshake): string {
  return `${HANDSHAKE_SCHEME} origin="${h.origin}", destination="${h.destination}", ts="${h.ts}", nonce="${h.nonce}", key="${h.keyId}", sig="${h.sig}"`;
}

const PARAM = /^\s*([a-z]+)="([^"]*)"\s*$/;
const DOMAIN = /^[a-z0-9.\-[\]:]{1,300}$/;

/** The handshake in an Authorization header, or null when it is not one. */
export function parseHandshake(header: string | undefined): Handshake | null {
  if (!header || header.length > MAX_HEADER || !header.startsWith(`${HANDSHAKE_SCHEME} `)) return null;
  const params = new Map<string, string>();
  for (const part of header.slice(HANDSHAKE_SCHEME.length + 1).split(',')) {
    const m = PARAM.exec(part);
    if (!m || params.has(m[1]!)) return null;
    params.set(m[1]!, m[2]!);
  }
  const [origin, destination, ts, nonce, keyId, sig] = ['origin', 'destination', 'ts', 'nonce', 'key', 'sig'].map((k) => params.get(k));
  if (!origin || !destination || !ts || !nonce || !keyId || !sig) return null;
  if (!DOMAIN.test(origin) || !DOMAIN.test(destination) || !/^\d{1,15}$/.test(ts) || !/^[0-9a-f]{16,64}$/.test(nonce)) return null;
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(keyId) || !/^[A-Za-z0-9_-]{1,128}$/.test(sig)) return null;
  return { origin, destination, ts: Number(ts), nonce, keyId, sig };
}
