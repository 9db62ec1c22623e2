import type { FastifyBaseLogger } from 'fastify';
import { isRemoteAccount, type Account } from '../domain/account.js';
import { addressDomain, parseAddress, type Address } from '../domain/address.js';
import { Status } from '../domain/monster.js';
import type { Services } from '../service/index.js';
import type { SendOutcome, SendReply } from '../service/monster.js';
import type { UserSession } from '../service/sessions.js';
import type { AccountRecord } from '../store/store.js';
import type { AnswerSink } from '../wire/answer-pipeline.js';
import { decodePicture } from './avatar.js';
import { FrameError, parseMonsterFrame, type MonsterRequest } from './parse.js';
import { addressOf, answer, messageFields, refusal } from './render.js';

export interface MonsterSite {
  /** This server's domain in addresses (`host` or `host:port`). */
  domain: string;
  /** Path prefixes that also name local accounts: `@name:prefix:domain`. */
  addressPrefixes: readonly string[];
  /** Absolute base URL for links in frames (avatars). */
  publicUrl: string;
}

export interface MonsterContext {
  /** Who is acting; null for an anonymous connection (only 1000 is open to it). */
  sender: Account | null;
  /** The login session the frame came on; calls and sync need one. */
  session: UserSession | null;
  /** The account whose endpoint the frame arrived at; null on the login socket (`to` names it). */
  endpoint: AccountRecord | null;
}

type Frame = Record<string, unknown>;

/** Where an address points: a local name, another server, this server under a prefix it does not serve, or nowhere. */
type Place = { kind: 'local'; name: string } | { kind: 'remote'; address: Address } | { kind: 'unknown-here' } | { kind: 'invalid' };
const INVALID: Place = { kind: 'invalid' };
const UNKNOWN_HERE: Place = { kind: 'unknown-here' };
/** Addresses whose place is remembered; the memory is emptied when it fills. */
const MAX_PLACES = 10_000;

/** Codes that act on the sender alone and name no target. */
const UNTARGETED = new Set([3001, 3003, 3101]);

/**
 * Answers Monster frames, wherever they arrive: on an account's endpoint or on a user's
 * login socket with a `to` address. Every answer echoes the messageId; a frame that fails
 * never costs the connection.
 */
export class MonsterHandler {
  /** Where each address seen points (see `placeOf`). */
  private readonly places = new Map<string, Place>();

  constructor(
    private readonly services: Services,
    private readonly site: MonsterSite,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The answer to a frame; never rejects (a failure is answered 500). */
  handle(raw: Frame, ctx: MonsterContext): Promise<Frame> {
    return new Promise((answer) => this.answerInto(raw, ctx, { queued() {}, answer }));
  }

  /**
   * Answers a frame into `sink`, which a stored message also tells when it is in line for
   * its commit. Not an async function: its frame would wait out a stored message's commit.
   */
  answerInto(raw: Frame, ctx: MonsterContext, sink: AnswerSink): void {
    let request: MonsterRequest;
    try {
      request = parseMonsterFrame(raw);
    } catch (err) {
      const messageId = typeof raw.messageId === 'string' ? raw.messageId : '';
      return sink.answer(err instanceof FrameError ? refusal(err.messageId, err.code, err.status, err.message) : this.failed(err, messageId, null));
    }
    // A sink that throws on the answer hears of the failure too (it answers once), rather
    // than leaving an unhandled rejection.
    this.dispatch(request, ctx, raw, sink)
      .then((answer) => answer && sink.answer(answer))
      .catch((err: unknown) => sink.answer(this.failed(err, request.messageId, request.code)));
  }

  /** Logs a frame that failed on this side, and says so to the client. */
  failed(err: unknown, messageId: string, code: number | null): Frame {
    this.log.error({ err, code }, 'monster frame failed');
    return refusal(messageId, code, Status.Internal, 'internal error');
  }

  /** Whether an address names this server (its domain, with no prefix or a configured one). */
  isLocal(address: string): boolean {
    return this.placeOf(address).kind === 'local';
  }

  /** The account an address names: a local one, or the stand-in of a remote one. */
  async resolve(address: string): Promise<{ account: AccountRecord } | { status: number; reason: string }> {
    const place = this.placeOf(address);
    switch (place.kind) {
      case 'invalid':
        return { status: Status.BadRequest, reason: 'not an address' };
      case 'unknown-here':
        return { status: Status.NotFound, reason: 'no such account' };
      case 'remote': {
        const remote = this.services.monster.remote;
        if (!remote) return { status: Status.RemoteUnavailable, reason: `${addressDomain(place.address)} is not reachable: federation is off` };
        const account = await remote.remoteAccount(place.address);
        return 'id' in account ? { account } : account;
      }
      case 'local': {
        const account = await this.services.monster.accountByName(place.name);
        return account ? { account } : { status: Status.NotFound, reason: 'no such account' };
      }
    }
  }

  /** `resolve` without waiting, for a local account at hand (most frames); null otherwise. */
  private resolveAtHand(address: string): { account: AccountRecord } | null {
    const place = this.placeOf(address);
    const account = place.kind === 'local' ? this.services.monster.cachedAccountByName(place.name) : undefined;
    return account ? { account } : null;
  }

  /**
   * What an address names as far as the address itself tells. Nearly every frame names one,
   * and parsing it was a tenth of what a stored message allocated: valid ones are kept.
   */
  private placeOf(address: string): Place {
    const known = this.places.get(address);
    if (known) return known;
    const parsed = parseAddress(address);
    if (!parsed) return INVALID;
    let place: Place;
    if (addressDomain(parsed) !== this.site.domain) place = { kind: 'remote', address: parsed };
    else if (parsed.prefix === null || this.site.addressPrefixes.includes(parsed.prefix)) place = { kind: 'local', name: parsed.name };
    else place = UNKNOWN_HERE;
    if (this.places.size >= MAX_PLACES) this.places.clear();
    this.places.set(address, place);
    return place;
  }

  infoFrame(messageId: string, code: number | null, view: Awaited<ReturnType<Services['monster']['info']>>): Frame {
    const a = view.account;
    return answer(messageId, code, Status.Info, {
      nickname: a.name,
      picurl: decodePicture(a.picture) ? `${this.site.publicUrl}/im/avatar/${a.account}` : '',
      accountType: String(a.kind),
      info: view.info,
      address: addressOf(a, this.site.domain),
      policy: a.policy,
      ...(view.memberCount === null ? {} : { members: view.memberCount }),
    });
  }

  /**
   * Frames for a remote account that its server decides: relayed there, its answer relayed
   * back under the user's messageId (or "queued" when it is slow to come). Null for frames
   * this server acts on first (person-to-person messages, relations, recalls, history).
   */
  private async toRemote(req: MonsterRequest, raw: Frame, sender: Account | null, target: AccountRecord): Promise<Frame | null> {
    const { messageId, code } = req;
    const remote = this.services.monster.remote;
    if (!remote) return refusal(messageId, code, Status.RemoteUnavailable, 'accounts of other servers are not reachable: federation is off');
    const relay = (reply: Frame | null) =>
      reply ? { ...reply, messageId, code: String(code) } : answer(messageId, code, Status.Queued, { note: 'queued for the remote server; its answer will follow' });
    const group = target.kind !== 1;
    const { messageId: _m, to: _t, from: _f, ...fields } = raw;
    const ask = async () => {
      try {
        return relay(await remote.ask(sender, target, { ...fields, code, messageId }));
      } catch (err) {
        this.log.info({ err: (err as Error).message, to: target.account }, 'remote server unreachable');
        return refusal(messageId, code, Status.RemoteUnavailable, 'the remote server could not be reached');
      }
    };
    if (code === 1000) return ask();
    if (!sender) return refusal(messageId, code, Status.Unauthenticated, 'sign in first: only 1000 is open to anonymous connections');
    switch (req.code) {
      case 1001:
        return relay(await this.services.monster.forwardToRemote(sender, target, { code, messageId, pass: req.pass, note: req.note }));
      case 2001: {
        if (!group) return null;
        // The group's server numbers the message in its own store: those numbers mean nothing here.
        const reply = await this.services.monster.postToRemoteGroup(sender, target, messageId, req.text);
        if (!reply) return relay(null);
        const { id: _id, time: _time, seq: _seq, ...rest } = reply;
        return relay(rest);
      }
      case 2004:
        return group ? relay(await this.services.monster.forwardToRemote(sender, target, { code, messageId, recallMessageId: req.recallMessageId })) : null;
      case 1002:
      case 1003:
      case 1004:
      case 3105:
        return group && (req.member || req.code === 1002 || req.code === 1003) ? ask() : null;
      case 3102:
      case 3103:
      case 3104:
      case 3106:
        return ask();
      case 3002:
      case 2002:
      case 2003:
      case 2005:
      case 2006:
      case 2007:
      case 2008:
      case 2009:
        return null;
      default:
        return refusal(messageId, code, Status.BadRequest, 'not available for accounts of other servers');
    }
  }

  /** The answer, or null when it goes into `sink` later (a stored message's, after its commit). */
  private async dispatch(req: MonsterRequest, ctx: MonsterContext, raw: Frame, sink: AnswerSink): Promise<Frame | null> {
    const { messageId, code } = req;
    const no = (status: number, reason: string) => refusal(messageId, code, status, reason);
    const { monster } = this.services;

    // The endpoint's account is read again for each frame (from the cache): it may have
    // changed, or been deleted, since the connection opened.
    let target: AccountRecord | null = ctx.endpoint
      ? (monster.cachedAccountByName(ctx.endpoint.account) ?? (await monster.accountByName(ctx.endpoint.account)))
      : null;
    if (ctx.endpoint && !target) return no(Status.NotFound, 'no such account');
    if (ctx.endpoint && req.to) {
      const named = this.resolveAtHand(req.to) ?? (await this.resolve(req.to));
      if (!('account' in named) || named.account.id !== ctx.endpoint.id) return no(Status.BadRequest, 'to names another account than this endpoint');
    }
    if (!target && !UNTARGETED.has(code)) {
      if (!req.to) return no(Status.BadRequest, 'to missing');
      const resolved = this.resolveAtHand(req.to) ?? (await this.resolve(req.to));
      if (!('account' in resolved)) return no(resolved.status, resolved.reason);
      target = resolved.account;
    }

    if (target && isRemoteAccount(target)) {
      const relayed = await this.toRemote(req, raw, ctx.sender, target);
      if (relayed) return relayed;
    }
    if (req.code === 1000) return this.infoFrame(messageId, code, await monster.info(target!));
    const sender = ctx.sender;
    if (!sender) return no(Status.Unauthenticated, 'sign in first: only 1000 is open to anonymous connections');
    // A stored message waits for its commit: it leaves this function at once, so that only
    // what it needs waits with it (at full load thousands wait at once).
    if (req.code === 2001) {
      this.services.monster.send(sender, target!, messageId, req.text, ctx.session, new StoredAnswer(this, sink, messageId));
      return null;
    }
    const done = (fields?: Frame) => answer(messageId, code, Status.Done, fields);
    const outcome = (o: { ok: true } | { ok: false; status: number; reason: string }, fields?: Frame) => (o.ok ? done(fields) : no(o.status, o.reason));
    const { calls, sessions } = this.services;
    const member = async (address: string | null) => {
      if (!address) return null;
      const r = await this.resolve(address);
      return 'account' in r ? r.account : r;
    };

    switch (req.code) {
      case 1001: {
        const applied = await monster.apply(sender, target!, req.pass, req.note);
        return applied.ok ? answer(messageId, code, Status.Info, { type: String(applied.value) }) : no(applied.status, applied.reason);
      }
      case 1002:
      case 1003: {
        const applicant = await member(req.member);
        if (applicant && !('id' in applicant)) return no(applicant.status, applicant.reason);
        return outcome(await monster.answer(sender, target!, applicant, req.code === 1002, messageId));
      }
      case 1004:
      case 3105: {
        const removed = await member(req.member);
        if (!removed) return outcome(await monster.deleteRelation(sender, target!, messageId));
        if (!('id' in removed)) return no(removed.status, removed.reason);
        return outcome(await monster.removeMember(sender, target!, removed));
      }
      case 2004:
        return outcome(await monster.recall(sender, target, req.recallMessageId, ctx.session));
      case 2002:
      case 2003: {
        if (!ctx.session) return no(Status.BadRequest, 'calls are made from the login socket');
        const started = await calls.start(ctx.session, target!, req.code, req.text);
        return started.ok ? done({ callId: started.value }) : no(started.status, started.reason);
      }
      case 2005:
      case 2006:
      case 2007:
      case 2008:
      case 2009:
        if (!ctx.session) return no(Status.BadRequest, 'calls are made from the login socket');
        return outcome(await calls.signal(ctx.session, req.code, req.callId, 'text' in req ? req.text : ''), { callId: req.callId });
      case 3001:
        return outcome(await monster.updateProfile(sender, req.profile));
      case 3002: {
        const page = await monster.history(sender, target!, req.before, req.limit);
        if (!page.ok) return no(page.status, page.reason);
        return answer(messageId, code, Status.Info, { messages: page.value.map((m) => messageFields(m, this.site.domain)) });
      }
      case 3003: {
        if (!ctx.session) return no(Status.BadRequest, 'sync is for the login socket');
        await sessions.replay(ctx.session, req.since);
        return done({ seq: ctx.session.lastInboxSeq });
      }
      case 3101: {
        const created = await monster.createGroup(sender, req.name, req.accountType, req.profile);
        return created.ok ? done({ address: addressOf(created.value, this.site.domain) }) : no(created.status, created.reason);
      }
      case 3102:
        return outcome(await monster.updateGroup(sender, target!, req.profile));
      case 3103:
        return outcome(await monster.deleteGroup(sender, target!));
      case 3104: {
        const m = await member(req.member);
        if (!m || !('id' in m)) return no(m?.status ?? Status.BadRequest, m?.reason ?? 'member missing');
        return outcome(await monster.setAdmin(sender, target!, m, req.admin));
      }
      case 3106: {
        const list = await monster.members(sender, target!);
        if (!list.ok) return no(list.status, list.reason);
        return answer(messageId, code, Status.Info, {
          members: list.value.map((m) => ({ address: addressOf(m.account, this.site.domain), nickname: m.account.name, role: m.role })),
        });
      }
    }
  }
}

/** Turns a stored message's outcome into its answer, when its commit has come. */
class StoredAnswer implements SendReply {
  constructor(
    private readonly handler: MonsterHandler,
    private readonly sink: AnswerSink,
    private readonly messageId: string,
  ) {}

  queued(): void {
    this.sink.queued();
  }

  done(sent: SendOutcome): void {
    if (!sent.ok) return this.sink.answer(refusal(this.messageId, 2001, sent.status, sent.reason));
    const { message, seq } = sent.value;
    this.sink.answer(answer(this.messageId, 2001, Status.Done, { id: message.id, time: message.createdAt, ...(seq === null ? {} : { seq }) }));
  }

  failed(err: unknown): void {
    this.sink.answer(this.handler.failed(err, this.messageId, 2001));
  }
}
