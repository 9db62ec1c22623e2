import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { AccountKind, FieldLimits, type Account } from '../domain/account.js';
import { addressDomain, formatAddress, parseAddress, type Address } from '../domain/address.js';
import { Status } from '../domain/monster.js';
import type { AccountRecord, Store } from '../store/store.js';
import type { FederationStore, OutboxEntry } from '../store/federation-store.js';
import { refusal } from '../monster/render.js';
import type { Frame, RemoteServers } from '../service/remote.js';
import { AddressGuard, AddressRefused } from './guard.js';
import { HANDSHAKE_MAX_SKEW_MS, parseHandshake, signedText } from './handshake.js';
import { ServerIdentity, verifySignature } from './identity.js';
import { KeyDirectory } from './key-directory.js';
import { LinkPool } from './link.js';
import { Outbox, type RetryPolicy } from './outbox.js';
import { PeerPolicy, type FederationMode } from './peers.js';
import type { Transport } from './remote-http.js';

export interface FederationOptions {
  /** This server's domain, as in its addresses. */
  domain: string;
  mode: FederationMode;
  allow: string[];
  block: string[];
  /** Contact remote servers over https/wss (plain http/ws when false). */
  tls: boolean;
  /** Allow loopback, private and link-local targets (tests, private networks). */
  allowPrivate: boolean;
  /** Connect, handshake and answer timeout. */
  timeoutMs: number;
  /** How long a user's frame waits for a remote answer before it is answered "queued". */
  answerWaitMs: number;
  retry: RetryPolicy;
}

export interface FederationMetrics {
  failures: { inc(labels: { destination: string }): void };
  delivered: { inc(labels: { destination: string }): void };
  refused: { inc(labels: { reason: string }): void };
}

export type Refusal = { status: number; reason: string };

/** The id a remote account has here: derived from its address, so it is the same on every server. */
export function remoteAccountId(address: string): string {
  return createHash('sha256').update(`monami-remote:${address}`).digest('hex').slice(0, 32);
}

/** Codes whose effects are stored (so a redelivered frame is answered from memory, not applied twice). */
const DURABLE_CODES = new Set([1001, 1002, 1003, 1004, 2001, 2004, 2010, 2011]);
const ANSWER_MEMORY_MS = 7 * 24 * 3_600_000;
/**
 * How long a post sent to another server's group is remembered, for its fan-out to come
 * back (federation_posts): longer than a frame waits in the outbox for a server that is down.
 */
const POST_MEMORY_MS = 30 * 24 * 3_600_000;
/** Members named per fan-out frame (addresses of up to ~400 characters: at most ~100 KB). */
const FANOUT_CHUNK = 250;
/** A claim on a remote frame older than this belongs to a node that died: it is taken over. */
const CLAIM_STALE_MS = 60_000;

/**
 * The form of an address a stand-in is kept under: names lower-cased (as monami keeps
 * them), so `@Dora:b.example` and `@dora:b.example` are one account.
 */
export function canonicalAddress(address: Address): string {
  return formatAddress({ ...address, name: address.name.toLowerCase() });
}

/**
 * Federation with other servers: this server's identity, the links it opens, the outbox
 * that carries frames to them, the check of servers that open links to it, and the local
 * stand-in accounts of the remote people, groups and channels local users relate to.
 */
export class Federation implements RemoteServers {
  readonly identity: ServerIdentity;
  readonly peers: PeerPolicy;
  readonly outbox: Outbox;
  private readonly keys: KeyDirectory;
  private readonly links: LinkPool;
  private readonly fed: FederationStore;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Applies a remote answer to a queued frame here; set by the composition root. */
  onAnswer: (entry: OutboxEntry, answer: Frame, awaited: boolean) => Promise<void> = async () => {};
  /** Told when a stand-in takes the new name its account's server sent (local friends or members then hear of it). */
  onRenamed: (standIn: AccountRecord) => Promise<void> = async () => {};

  private constructor(
    private readonly store: Store,
    identity: ServerIdentity,
    private readonly options: FederationOptions,
    private readonly log: FastifyBaseLogger,
    private readonly metrics: FederationMetrics | null,
  ) {
    this.identity = identity;
    this.fed = store.federation();
    const transport: Transport = { tls: options.tls, guard: new AddressGuard(options.allowPrivate), timeoutMs: options.timeoutMs };
    this.keys = new KeyDirectory(transport);
    this.links = new LinkPool(identity, transport);
    this.peers = new PeerPolicy(options.mode, options.allow, options.block, this.fed);
    this.outbox = new Outbox(this.fed, this.links, {
      allows: (destination) => this.peers.allows(destination),
      settle: (entry, answer, awaited) => this.onAnswer(entry, answer, awaited),
      onFailure: (destination, err, retryInMs) => {
        this.metrics?.failures.inc({ destination });
        this.log.warn({ destination, err: err.message, retryInMs }, 'federation delivery failed; will retry');
      },
      onDelivered: (destination) => this.metrics?.delivered.inc({ destination }),
    }, options.retry, log, store.kind === 'postgres');
  }

  static async create(store: Store, options: FederationOptions, log: FastifyBaseLogger, metrics: FederationMetrics | null): Promise<Federation> {
    const identity = await ServerIdentity.load(options.domain, store.federation());
    const federation = new Federation(store, identity, options, log, metrics);
    await federation.peers.load();
    return federation;
  }

  get domain(): string {
    return this.options.domain;
  }

  async start(): Promise<void> {
    await this.outbox.start();
    this.purgeTimer = setInterval(() => {
      const now = Date.now();
      Promise.all([this.fed.forgetAnswersBefore(now - ANSWER_MEMORY_MS), this.fed.forgetNoncesBefore(now), this.fed.forgetPostsBefore(now - POST_MEMORY_MS)])
        .catch((err) => this.log.error({ err }, 'federation purge failed'));
    }, 600_000);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    this.outbox.stop();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.links.close();
  }

  /** The published key document. */
  keyDocument() {
    return {
      server: this.options.domain,
      keys: [{ id: this.identity.keyId, publicKey: this.identity.publicKey }],
      validUntil: Date.now() + 24 * 3_600_000,
    };
  }

  addressOf(account: Account): string {
    return account.account.startsWith('@') ? account.account : `@${account.account}:${this.options.domain}`;
  }

  private domainOf(remote: Pick<Account, 'account'>): string {
    const parsed = parseAddress(remote.account);
    if (!parsed) throw new Error(`not a remote account: ${remote.account}`);
    return addressDomain(parsed);
  }

  /**
   * The stand-in for a remote address, created on first use from the remote's public
   * info (1000), which also proves the address exists.
   */
  async remoteAccount(address: Address): Promise<AccountRecord | Refusal> {
    const domain = addressDomain(address);
    if (!(await this.peers.allows(domain))) return { status: Status.Forbidden, reason: `${domain} is not federated with` };
    const canonical = canonicalAddress(address);
    const known = await this.store.accountById(remoteAccountId(canonical));
    if (known) return known;
    let info: Frame;
    try {
      info = await this.links.request(domain, { code: 1000, messageId: `info-${Date.now()}`, to: canonical });
    } catch (err) {
      if (err instanceof AddressRefused) {
        this.log.warn({ domain, address: err.address, range: err.range }, 'remote address refused by the address guard');
        if (!err.address) return { status: Status.RemoteUnavailable, reason: `${domain} has no address` };
        return { status: Status.Forbidden, reason: `${domain} is a ${err.range} address, which this server does not contact` };
      }
      this.log.info({ domain, err: (err as Error).message }, 'remote server unreachable');
      return { status: Status.RemoteUnavailable, reason: `${domain} could not be reached` };
    }
    if (String(info.statusCode) !== String(Status.Info)) {
      return { status: Number(info.statusCode) || Status.RemoteUnavailable, reason: typeof info.error === 'string' ? info.error.slice(0, 200) : 'refused by the remote server' };
    }
    return this.standIn(canonical, Number(info.accountType), info.nickname);
  }

  /**
   * The stand-in for the sender of a frame a remote server sent (which names its kind and
   * name). The name is the one the sender's server gives now: that server speaks for its
   * own accounts, and its frames are how a stand-in learns of a rename. `fromItsServer`
   * false: the name comes from another server (a group's fan-out), good for a new stand-in only.
   */
  async standIn(address: string, kind: unknown, name: unknown, fromItsServer = true): Promise<AccountRecord> {
    const id = remoteAccountId(address);
    const given = typeof name === 'string' && name.trim() ? name.slice(0, FieldLimits.name) : null;
    const known = await this.store.accountById(id);
    if (known) {
      // Only the account's own server renames it: a group's server passing on a post of a third server's author does not.
      if (given === null || given === known.name || !fromItsServer) return known;
      await this.store.updateAccount(id, { name: given });
      const renamed = (await this.store.accountById(id)) ?? known;
      await this.onRenamed(renamed);
      return renamed;
    }
    const k = Number(kind);
    const record: AccountRecord = {
      id, account: address, kind: k === AccountKind.Group || k === AccountKind.Channel ? k : AccountKind.Person,
      name: given ?? address, picture: '', sex: '', birthday: '', sign: '', mail: '',
      createdAt: Date.now(), policy: 'approve', publicFields: [], passwordHash: '', passCodeHash: '',
    };
    await this.store.createAccount(record);
    return (await this.store.accountById(id))!;
  }

  private envelope(actor: Account | null, target: Pick<Account, 'account'>, frame: Frame): Frame {
    return {
      ...frame,
      ...(actor ? { from: this.addressOf(actor), fromType: String(actor.kind), fromName: actor.name } : {}),
      to: target.account,
    };
  }

  forward(actor: Account, target: Pick<Account, 'account'>, frame: Frame): Promise<number> {
    return this.outbox.enqueue(this.domainOf(target), actor.id, this.envelope(actor, target, frame));
  }

  async forwardAndWait(actor: Account, target: Account, frame: Frame): Promise<Frame | null> {
    return this.outbox.enqueueAndWait(this.domainOf(target), actor.id, this.envelope(actor, target, frame), this.options.answerWaitMs);
  }

  ask(actor: Account | null, target: Account, frame: Frame): Promise<Frame> {
    return this.links.request(this.domainOf(target), this.envelope(actor, target, frame));
  }

  async fanOut(group: Account, members: readonly Pick<Account, 'account'>[], frame: Frame): Promise<void> {
    const byDomain = new Map<string, string[]>();
    for (const m of members) {
      const domain = this.domainOf(m);
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), m.account]);
    }
    for (const [domain, addresses] of byDomain) {
      // Frames stay well under the receiver's frame limit however large the group.
      for (let i = 0; i < addresses.length; i += FANOUT_CHUNK) {
        const members = addresses.slice(i, i + FANOUT_CHUNK);
        const part = addresses.length > FANOUT_CHUNK ? { messageId: `${String(frame.messageId)}.${i / FANOUT_CHUNK}` } : {};
        await this.outbox.enqueue(domain, group.id, { ...frame, ...part, from: this.addressOf(group), fromType: String(group.kind), fromName: group.name, members });
      }
    }
  }

  /** Checks the handshake of a server opening a link to us: its origin, or why it is refused. */
  async authenticate(header: string | undefined, now = Date.now()): Promise<{ origin: string } | Refusal> {
    const refuse = (status: number, reason: string, origin?: string) => {
      this.metrics?.refused.inc({ reason });
      this.log.warn({ origin, reason }, 'federation link refused');
      return { status, reason };
    };
    const h = parseHandshake(header);
    if (!h) return refuse(401, 'malformed handshake');
    if (h.destination !== this.options.domain) return refuse(401, 'handshake for another server', h.origin);
    if (Math.abs(now - h.ts) > HANDSHAKE_MAX_SKEW_MS) return refuse(401, 'handshake expired', h.origin);
    if (h.origin === this.options.domain) return refuse(401, 'handshake from this server', h.origin);
    if (!(await this.peers.allows(h.origin))) return refuse(403, 'server not federated with', h.origin);
    let key;
    try {
      key = await this.keys.key(h.origin, h.keyId, now);
    } catch (err) {
      this.log.info({ origin: h.origin, err: (err as Error).message }, 'origin keys unavailable');
      return refuse(401, 'origin keys unavailable', h.origin);
    }
    if (!key) return refuse(401, 'unknown key', h.origin);
    if (!verifySignature(key, signedText(h), h.sig)) return refuse(401, 'bad signature', h.origin);
    if (!(await this.fed.useNonce(h.origin, h.nonce, h.ts + HANDSHAKE_MAX_SKEW_MS))) return refuse(401, 'handshake replayed', h.origin);
    // It is up: whatever waits for it goes now.
    this.outbox.wake(h.origin, true);
    return { origin: h.origin };
  }

  /**
   * One frame from an authenticated origin: its `from` must be an address of that origin.
   * A stored effect is applied once: a frame seen before gets the answer it got then.
   */
  async receive(origin: string, frame: Frame, handle: (sender: AccountRecord | null) => Promise<Frame>): Promise<Frame> {
    const messageId = typeof frame.messageId === 'string' ? frame.messageId.slice(0, 128) : '';
    const code = Number(frame.code);
    const refuse = (status: number, reason: string) => refusal(messageId, Number.isInteger(code) ? code : null, status, reason);
    // Public info is public: asked without a sender, and no stand-in is made for the asker.
    if (code === 1000) return handle(null);
    const from = typeof frame.from === 'string' ? parseAddress(frame.from) : null;
    if (!from) return refuse(Status.BadRequest, 'from missing');
    if (addressDomain(from) !== origin) {
      this.metrics?.refused.inc({ reason: 'foreign from' });
      this.log.warn({ origin, from: frame.from }, 'federation frame refused: from belongs to another server');
      return refuse(Status.Forbidden, 'from does not belong to the sending server');
    }
    const sender = canonicalAddress(from);
    if (!DURABLE_CODES.has(code) || messageId === '') return handle(await this.standIn(sender, frame.fromType, frame.fromName));
    // A messageId is unique per sender and target: the same one to two accounts is two frames.
    const key = { origin, sender, code, messageId: createHash('sha256').update(`${String(frame.to ?? '')}\n${messageId}`).digest('hex') };
    const claim = await this.fed.claim(key, CLAIM_STALE_MS);
    if (claim.state === 'answered') return claim.answer;
    // Another node is on it (the origin reconnected meanwhile): the origin sends it again later.
    if (claim.state === 'busy') return refuse(Status.Busy, 'being handled; send it again later');
    let answer: Frame | null = null;
    try {
      answer = await handle(await this.standIn(sender, frame.fromType, frame.fromName));
      return answer;
    } finally {
      // Failed here (500 or thrown): the claim is given up, so a redelivery tries again.
      await this.fed.settleClaim(key, answer && String(answer.statusCode) !== String(Status.Internal) ? answer : null);
    }
  }
}
