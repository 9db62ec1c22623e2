import { createHash, randomBytes } from 'node:crypto';

/** A fresh 128-bit random value as 32 lowercase hex characters (ids and tokens). */
export const randomHex128 = (): string => randomBytes(16).toString('hex');

/** Tokens are stored only as this digest, so a leaked database grants no sessions. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

export const isHex128 = (value: string): boolean => /^[0-9a-f]{32}$/.test(value);
