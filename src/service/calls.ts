import { isRemoteAccount, type Account, type AccountRef } from '../domain/account.js';
import type { CallSignal } from '../domain/events.js';
import { Status } from '../domain/monster.js';
import type { Bus } from '../bus/bus.js';
import { failed, success, type Outcome } from './errors.js';
import type { RemoteServers } from './remote.js';
import { isHex128, randomHex128 } from './secrets.js';
import type { UserSession } from './sessions.js';

interface Call {
  id: string;
  kind: 2002 | 2003;
  caller: AccountRef;
  /** The caller's session; null when the caller is on another server. */
  callerSession: string | null;
  callee: AccountRef;
  /** The callee's session that answered (REMOTE when the callee is on another server); until then every callee session rings. */
  answeredBy: string | null;
  timer: NodeJS.Timeout;
  /** For a call with someone of another server: the local party and the remote one. */
  remote: { local: Account; party: Account } | null;
}

type SignalCode = 2005 | 2006 | 2007 | 2008 | 2009;
/** What signalling needs of a session, also when it is connected to another node. */
type PartySession = Pick<UserSession, 'id' | 'userId'>;
const CALL_SIGNAL = 'call-signal';
const CALL_SIGNAL_INBOUND = 'call-signal-inbound';
const CALL_SESSION_CLOSED = 'call-session-closed';
/** How long a node waits for the node holding a call to answer a signal. */
const CLUSTER_WAIT_MS = 2_000;

/** Stands for "the other server" where a session id would name who acted. */
const REMOTE = 'remote';
const END_REASONS = new Set(['hangup', 'cancelled', 'timeout', 'rejected', 'disconnected']);

const ref = (a: Account): AccountRef => ({ id: a.id, account: a.account, kind: a.kind });

/**
 * Voice and video call signalling (Monster 2002/2003 and monami's 2005–2009). The server
 * only relays offers, answers and ICE candidates between the caller's session and the
 * callee's sessions; media flows peer to peer. Calls live in memory: a call does not
 * outlive the sessions that carry it.
 */
export class CallService {
  private readonly calls = new Map<string, Call>();

  constructor(
    private readonly bus: Bus,
    private readonly ringTimeoutMs: number,
    private readonly remote: RemoteServers | null,
    /** Whether two accounts are friends (for calls arriving from other servers). */
    private readonly areFriends: (a: string, b: string) => Promise<boolean>,
  ) {
    bus.onRequest(CALL_SIGNAL, async (payload) => {
      const p = payload as { session: PartySession; code: SignalCode; callId: string; text: string };
      // Only the node holding the call answers; the others stay silent.
      return this.calls.has(p.callId) ? this.signal(p.session, p.code, p.callId, p.text) : undefined;
    });
    bus.onRequest(CALL_SIGNAL_INBOUND, async (payload) => {
      const p = payload as { from: Account; code: SignalCode; callId: string; text: string; reason: string };
      return this.calls.has(p.callId) ? this.signalInbound(p.from, p.code, p.callId, p.text, p.reason) : undefined;
    });
    bus.onClusterMessage(CALL_SESSION_CLOSED, (payload) => this.endCallsOf(payload as PartySession));
  }

  /** 2002/2003: rings every session of a friend; 480 if they have none. */
  async start(session: UserSession, callee: Account, kind: 2002 | 2003, offer: string): Promise<Outcome<string>> {
    if (callee.id === session.userId) return failed(Status.BadRequest, 'cannot call oneself');
    if (!session.friends.has(callee.id)) return failed(Status.Forbidden, 'not friends');
    const call: Call = {
      id: randomHex128(), kind, caller: ref(session.account), callerSession: session.id, callee: ref(callee), answeredBy: null,
      timer: setTimeout(() => void this.end(call, 'timeout', null), this.ringTimeoutMs),
      remote: isRemoteAccount(callee) ? { local: session.account, party: callee } : null,
    };
    call.timer.unref();
    this.calls.set(call.id, call);
    if (call.remote) {
      // The callee's server rings them (or says they are offline) before we answer.
      let reply: Record<string, unknown>;
      try {
        if (!this.remote) throw new Error('federation is off');
        reply = await this.remote.ask(session.account, callee, { code: kind, messageId: randomHex128(), callId: call.id, text: offer });
      } catch {
        reply = { statusCode: String(Status.RemoteUnavailable), error: 'the callee\'s server could not be reached' };
      }
      if (String(reply.statusCode) === String(Status.Done)) return success(call.id);
      clearTimeout(call.timer);
      this.calls.delete(call.id);
      return failed(Number(reply.statusCode) || Status.RemoteUnavailable, typeof reply.error === 'string' ? reply.error.slice(0, 200) : 'refused by the callee\'s server');
    }
    const reached = await this.bus.publish([callee.id], { type: 'call', signal: this.frame(call, kind, 'caller', { text: offer }) }, 'everywhere');
    if (reached === 0) {
      clearTimeout(call.timer);
      this.calls.delete(call.id);
      return failed(Status.Offline, 'the callee is offline');
    }
    return success(call.id);
  }

  /**
   * 2005–2009 from one of the parties. A call lives on the node its caller is connected
   * to; a signal that arrives on another node is handed to that one.
   */
  async signal(session: PartySession, code: SignalCode, callId: string, text: string): Promise<Outcome> {
    const call = this.calls.get(callId);
    if (!call) {
      const answer = await this.bus.request(CALL_SIGNAL, { session: { id: session.id, userId: session.userId }, code, callId, text }, CLUSTER_WAIT_MS);
      return (answer as Outcome | null) ?? failed(Status.NotFound, 'no such call');
    }
    const isCaller = session.id === call.callerSession;
    const isCallee = session.userId === call.callee.id && (call.answeredBy === null || call.answeredBy === session.id);
    if (!isCaller && !isCallee) return failed(Status.Forbidden, 'not a party to this call');

    switch (code) {
      case 2005:
        if (!isCallee) return failed(Status.BadRequest, 'only the callee rings');
        await this.toCaller(call, this.frame(call, 2005, 'callee'));
        return success(undefined);
      case 2006:
        if (!isCallee) return failed(Status.BadRequest, 'only the callee answers');
        if (call.answeredBy) return failed(Status.Conflict, 'already answered');
        call.answeredBy = session.id;
        clearTimeout(call.timer);
        await this.toCaller(call, this.frame(call, 2006, 'callee', { text }));
        await this.bus.publish([call.callee.id], { type: 'call', signal: this.frame(call, 2009, 'caller', { reason: 'answered-elsewhere' }), exceptSession: session.id });
        return success(undefined);
      case 2007:
        if (isCaller) await this.toCallee(call, this.frame(call, 2007, 'caller', { text }));
        else await this.toCaller(call, this.frame(call, 2007, 'callee', { text }));
        return success(undefined);
      case 2008:
        if (!isCallee || call.answeredBy) return failed(Status.BadRequest, 'only an unanswered callee rejects');
        await this.end(call, 'rejected', session.id);
        return success(undefined);
      case 2009:
        await this.end(call, isCaller ? (call.answeredBy ? 'hangup' : 'cancelled') : 'hangup', session.id);
        return success(undefined);
    }
  }

  /** 2002/2003 from a friend on another server, with the call id their server chose. */
  async startInbound(caller: Account, callee: Account, kind: 2002 | 2003, offer: string, callId: string): Promise<Outcome> {
    if (!isHex128(callId) || this.calls.has(callId)) return failed(Status.BadRequest, 'callId must be a new 32-hex id');
    if (!(await this.areFriends(callee.id, caller.id))) return failed(Status.Forbidden, 'not friends');
    const call: Call = {
      id: callId, kind, caller: ref(caller), callerSession: null, callee: ref(callee), answeredBy: null,
      timer: setTimeout(() => void this.end(call, 'timeout', null), this.ringTimeoutMs),
      remote: { local: callee, party: caller },
    };
    call.timer.unref();
    this.calls.set(call.id, call);
    const reached = await this.bus.publish([callee.id], { type: 'call', signal: this.frame(call, kind, 'caller', { text: offer }) }, 'everywhere');
    if (reached === 0) {
      clearTimeout(call.timer);
      this.calls.delete(call.id);
      return failed(Status.Offline, 'the callee is offline');
    }
    return success(undefined);
  }

  /** 2005–2009 from the party on another server. */
  async signalInbound(from: Account, code: SignalCode, callId: string, text: string, reason: string): Promise<Outcome> {
    const call = this.calls.get(callId);
    if (!call) {
      // The other server's link may reach another node of ours than the one holding the call.
      const answer = await this.bus.request(CALL_SIGNAL_INBOUND, { from, code, callId, text, reason }, CLUSTER_WAIT_MS);
      return (answer as Outcome | null) ?? failed(Status.NotFound, 'no such call');
    }
    if (call.remote?.party.id !== from.id) return failed(Status.NotFound, 'no such call');
    const fromCallee = call.callee.id === from.id;
    switch (code) {
      case 2005:
      case 2006:
        if (!fromCallee) return failed(Status.BadRequest, 'only the callee rings or answers');
        if (code === 2006) {
          if (call.answeredBy) return failed(Status.Conflict, 'already answered');
          call.answeredBy = REMOTE;
          clearTimeout(call.timer);
        }
        await this.toCaller(call, this.frame(call, code, 'callee', code === 2006 ? { text } : {}));
        return success(undefined);
      case 2007:
        if (fromCallee) await this.toCaller(call, this.frame(call, 2007, 'callee', { text }));
        else await this.toCallee(call, this.frame(call, 2007, 'caller', { text }));
        return success(undefined);
      case 2008:
        if (!fromCallee) return failed(Status.BadRequest, 'only the callee rejects');
        await this.end(call, 'rejected', REMOTE);
        return success(undefined);
      case 2009:
        await this.end(call, END_REASONS.has(reason) ? reason : 'hangup', REMOTE);
        return success(undefined);
    }
  }

  /** A party's session closed: the call ends for the other side (on whichever node holds it). */
  sessionClosed(session: PartySession): void {
    void this.bus.broadcast(CALL_SESSION_CLOSED, { id: session.id, userId: session.userId });
    this.endCallsOf(session);
  }

  private endCallsOf(session: PartySession): void {
    for (const call of this.calls.values()) {
      if (call.callerSession === session.id || call.answeredBy === session.id) void this.end(call, 'disconnected', session.id);
    }
  }

  stop(): void {
    for (const call of this.calls.values()) clearTimeout(call.timer);
    this.calls.clear();
  }

  /**
   * Ends a call, telling every session still involved except the one that ended it
   * (`bySession`: a session id, REMOTE for the other server's party, null for the ring timeout).
   */
  private async end(call: Call, reason: string, bySession: string | null): Promise<void> {
    if (!this.calls.delete(call.id)) return;
    clearTimeout(call.timer);
    const rejected = reason === 'rejected';
    const callerRemote = call.callerSession === null;
    const calleeRemote = !!call.remote && !callerRemote;
    if (!(bySession === REMOTE && callerRemote) && bySession !== call.callerSession) {
      await this.toCaller(call, this.frame(call, rejected ? 2008 : 2009, 'callee', rejected ? {} : { reason }));
    }
    if (calleeRemote) {
      if (bySession !== REMOTE) await this.toCallee(call, this.frame(call, 2009, 'caller', { reason }));
      return;
    }
    if (bySession === REMOTE && rejected) return;
    const callee = this.frame(call, 2009, 'caller', { reason: rejected ? 'rejected-elsewhere' : reason });
    if (call.answeredBy) {
      if (bySession !== call.answeredBy) await this.bus.publish([call.callee.id], { type: 'call', signal: callee, onlySession: call.answeredBy });
    } else {
      await this.bus.publish([call.callee.id], { type: 'call', signal: callee, ...(bySession ? { exceptSession: bySession } : {}) });
    }
  }

  private frame(call: Call, code: CallSignal['code'], from: 'caller' | 'callee', extra: { text?: string; reason?: string } = {}): CallSignal {
    const [a, b] = from === 'caller' ? [call.caller, call.callee] : [call.callee, call.caller];
    return { code, callId: call.id, from: a, to: b, ...extra };
  }

  private toCaller(call: Call, signal: CallSignal) {
    if (call.callerSession === null) return this.tellRemote(call, signal);
    return this.bus.publish([call.caller.id], { type: 'call', signal, onlySession: call.callerSession });
  }

  private toCallee(call: Call, signal: CallSignal) {
    if (call.remote && call.callerSession !== null) return this.tellRemote(call, signal);
    return this.bus.publish([call.callee.id], { type: 'call', signal, ...(call.answeredBy ? { onlySession: call.answeredBy } : {}) });
  }

  /** Signalling is live: relayed to the other server now, or lost with the call if it cannot be. */
  private async tellRemote(call: Call, signal: CallSignal): Promise<number> {
    const { local, party } = call.remote!;
    const frame = { code: signal.code, messageId: randomHex128(), callId: call.id, ...(signal.text !== undefined ? { text: signal.text } : {}), ...(signal.reason !== undefined ? { reason: signal.reason } : {}) };
    try {
      if (!this.remote) return 0;
      const reply = await this.remote.ask(local, party, frame);
      return String(reply.statusCode) === String(Status.Done) ? 1 : 0;
    } catch {
      return 0;
    }
  }
}
