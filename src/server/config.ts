import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FederationOptions } from '../federation/federation.js';
import type { FederationMode } from '../federation/peers.js';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from '../service/passwords.js';
import { parseIceServers } from './client-settings.js';
import { defaultMaxConnections, type ConnectionLimits } from './connection-limits.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from '../service/rate-limiter.js';

/** The folder holding package.json, whether running from src/ or from the build in dist/. */
export const PACKAGE_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** A redis:// URL joins this node to a deployment of several (the Redis bus). */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel of this deployment. */
  redisPrefix: string;
  /** The domain of this server's Monster addresses (`@name:domain`). */
  domain: string;
  logLevel: string;
  webDir: string;
  tokenTtlMs: number;
  maxSessionsPerUser: number;
  /** WebSocket connections this node holds at most, in all and from one client address. */
  connectionLimits: ConnectionLimits;
  maxFrameBytes: number;
  maxPendingFrames: number;
  recallWindowMs: number;
  ringTimeoutMs: number;
  /** Path prefixes under which account endpoints also answer: /<prefix>/<name>. */
  addressPrefixes: string[];
  scryptCost: ScryptCost;
  loginLimits: LoginLimits;
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy: boolean;
  metrics: boolean;
  /** Base URL clients reach this server at, for links in frames (avatars). */
  publicUrl: string;
  federation: FederationConfig;
  /** STUN/TURN servers handed to the browser client for calls. */
  iceServers: unknown[];
}

/** Federation's settings; the domain is the server's own. */
export type FederationConfig = Omit<FederationOptions, 'domain'>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, not "${raw}"`);
  }
  return value;
}

function flag(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, not "${raw}"`);
}

/** Without MONAMI_PUBLIC_URL: the domain, with the listening port unless the domain names one. */
function defaultPublicUrl(domain: string, port: string): string {
  return /:\d+$/.test(domain) ? `http://${domain}` : `http://${domain}:${port}`;
}

function redisUrl(raw: string | undefined, databaseUrl: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^rediss?:\/\//i.test(raw)) throw new Error('REDIS_URL must be a redis:// or rediss:// URL');
  // Several nodes need one database: an SQLite file belongs to one process.
  if (!databaseUrl) throw new Error('REDIS_URL (several nodes) needs DATABASE_URL (PostgreSQL): SQLite serves one node');
  return raw;
}

function domains(name: string, raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  for (const d of list) if (!/^[a-z0-9.\-[\]:]{1,300}$/.test(d)) throw new Error(`${name}: "${d}" is not a server domain`);
  return list;
}

function federationMode(raw: string | undefined): FederationMode {
  const mode = raw || 'open';
  if (mode !== 'open' && mode !== 'allowlist' && mode !== 'off') throw new Error('MONAMI_FEDERATION must be open, allowlist or off');
  return mode;
}

function prefixes(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of list) {
    if (!/^[a-z0-9_][a-z0-9_.-]{0,63}$/.test(p) || ['im', 'metrics', 'healthz'].includes(p)) {
      throw new Error(`MONAMI_ADDRESS_PREFIXES: "${p}" is not a usable path prefix`);
    }
  }
  return list;
}

/** Reads the configuration from environment variables (documented in README.md). */
export function configFromEnv(env: Record<string, string | undefined> = process.env): Config {
  const logLevel = env.LOG_LEVEL || 'info';
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//i.test(env.DATABASE_URL)) {
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for SQLite in MONAMI_DATA_DIR)');
  }
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.MONAMI_DATA_DIR || 'data'),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: redisUrl(env.REDIS_URL, env.DATABASE_URL),
    redisPrefix: env.MONAMI_REDIS_PREFIX || 'monami:',
    domain: (env.MONAMI_DOMAIN || 'localhost').toLowerCase(),
    logLevel,
    webDir: path.resolve(env.MONAMI_WEB_DIR || path.join(PACKAGE_ROOT, 'dist', 'web')),
    tokenTtlMs: integer(env, 'MONAMI_TOKEN_TTL_HOURS', 30 * 24, 1, 24 * 3650) * 3_600_000,
    maxSessionsPerUser: integer(env, 'MONAMI_MAX_SESSIONS_PER_USER', 10, 1, 1000),
    connectionLimits: {
      total: integer(env, 'MONAMI_MAX_CONNECTIONS', defaultMaxConnections(), 1, 10_000_000),
      perAddress: integer(env, 'MONAMI_MAX_CONNECTIONS_PER_ADDRESS', 1000, 1, 10_000_000),
    },
    maxFrameBytes: integer(env, 'MONAMI_MAX_FRAME_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    maxPendingFrames: integer(env, 'MONAMI_MAX_PENDING_FRAMES', 1000, 1, 1_000_000),
    recallWindowMs: integer(env, 'MONAMI_RECALL_WINDOW_SECONDS', 120, 0, 365 * 86400) * 1000,
    ringTimeoutMs: integer(env, 'MONAMI_RING_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    addressPrefixes: prefixes(env.MONAMI_ADDRESS_PREFIXES),
    scryptCost: { ...DEFAULT_SCRYPT_COST, log2N: integer(env, 'MONAMI_SCRYPT_LOG2N', DEFAULT_SCRYPT_COST.log2N, 10, 20) },
    loginLimits: {
      ...DEFAULT_LOGIN_LIMITS,
      failuresPerAccount: integer(env, 'MONAMI_LOGIN_FAILURES_PER_ACCOUNT', DEFAULT_LOGIN_LIMITS.failuresPerAccount, 1, 1_000_000),
      failuresPerAddress: integer(env, 'MONAMI_LOGIN_FAILURES_PER_ADDRESS', DEFAULT_LOGIN_LIMITS.failuresPerAddress, 1, 1_000_000),
      attemptsPerAddress: integer(env, 'MONAMI_LOGIN_ATTEMPTS_PER_ADDRESS', DEFAULT_LOGIN_LIMITS.attemptsPerAddress, 1, 100_000_000),
    },
    trustProxy: flag(env, 'MONAMI_TRUST_PROXY', false),
    metrics: flag(env, 'MONAMI_METRICS', true),
    iceServers: parseIceServers(env.MONAMI_ICE_SERVERS),
    federation: {
      mode: federationMode(env.MONAMI_FEDERATION),
      allow: domains('MONAMI_FEDERATION_ALLOW', env.MONAMI_FEDERATION_ALLOW),
      block: domains('MONAMI_FEDERATION_BLOCK', env.MONAMI_FEDERATION_BLOCK),
      tls: flag(env, 'MONAMI_FEDERATION_TLS', true),
      allowPrivate: flag(env, 'MONAMI_FEDERATION_ALLOW_PRIVATE', false),
      timeoutMs: integer(env, 'MONAMI_FEDERATION_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
      answerWaitMs: integer(env, 'MONAMI_FEDERATION_ANSWER_WAIT_MS', 3000, 0, 60_000),
      retry: {
        baseMs: integer(env, 'MONAMI_FEDERATION_RETRY_BASE_MS', 1000, 10, 600_000),
        maxMs: integer(env, 'MONAMI_FEDERATION_RETRY_MAX_SECONDS', 300, 1, 86_400) * 1000,
        leaseMs: integer(env, 'MONAMI_FEDERATION_LEASE_SECONDS', 30, 2, 3600) * 1000,
      },
    },
    publicUrl: (env.MONAMI_PUBLIC_URL || defaultPublicUrl((env.MONAMI_DOMAIN || 'localhost').toLowerCase(), env.PORT || '8080')).replace(/\/+$/, ''),
  };
}
