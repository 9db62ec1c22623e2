import type { Account, AccountRef } from '../domain/account.js';
import type { CallSignal } from '../domain/events.js';
import { Status } from '../domain/monster.js';
import type { Bus } from '../bus/bus.js';
import { failed, success, type Outcome } from './errors.js';
import { randomHex128 } from './secrets.js';
import type { UserSession } from './sessions.js';

interface Call {
  id: string;
  kind: 2002 | 2003;
  caller: AccountRef;
  callerSession: string;
  callee: AccountRef;
  /** The callee's session that answered; until then every callee session rings. */
  answeredBy: string | null;
  timer: NodeJS.Timeout;
}

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
  ) {}

  /** 2002/2003: rings every session of a friend; 480 if they have none. */
  async start(session: UserSession, callee: Account, kind: 2002 | 2003, offer: string): Promise<Outcome<string>> {
    if (callee.id === session.userId) return failed(Status.BadRequest, 'cannot call oneself');
    if (!session.friends.has(callee.id)) return failed(Status.Forbidden, 'not friends');
    const call: Call = {
      id: randomHex128(), kind, caller: ref(session.account), callerSession: session.id, callee: ref(callee), answeredBy: null,
      timer: setTimeout(() => void this.end(call, 'timeout', null), this.ringTimeoutMs),
    };
    call.timer.unref();
    this.calls.set(call.id, call);
    const reached = await this.bus.publish([callee.id], { type: 'call', signal: this.frame(call, kind, 'caller', { text: offer }) });
    if (reached === 0) {
      clearTimeout(call.timer);
      this.calls.delete(call.id);
      return failed(Status.Offline, 'the callee is offline');
    }
    return success(call.id);
  }

  /** 2005–2009 from one of the parties. */
  async signal(session: UserSession, code: 2005 | 2006 | 2007 | 2008 | 2009, callId: string, text: string): Promise<Outcome> {
    const call = this.calls.get(callId);
    if (!call) return failed(Status.NotFound, 'no such call');
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

  /** A party's session closed: the call ends for the other side. */
  sessionClosed(session: UserSession): void {
    for (const call of this.calls.values()) {
      if (call.callerSession === session.id || call.answeredBy === session.id) void this.end(call, 'disconnected', session.id);
    }
  }

  stop(): void {
    for (const call of this.calls.values()) clearTimeout(call.timer);
    this.calls.clear();
  }

  /** Ends a call, telling every session still involved except the one that ended it. */
  private async end(call: Call, reason: string, bySession: string | null): Promise<void> {
    if (!this.calls.delete(call.id)) return;
    clearTimeout(call.timer);
    const rejected = reason === 'rejected';
    if (bySession !== call.callerSession) {
      await this.toCaller(call, this.frame(call, rejected ? 2008 : 2009, 'callee', rejected ? {} : { reason }));
    }
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
    return this.bus.publish([call.caller.id], { type: 'call', signal, onlySession: call.callerSession });
  }

  private toCallee(call: Call, signal: CallSignal) {
    return this.bus.publish([call.callee.id], { type: 'call', signal, ...(call.answeredBy ? { onlySession: call.answeredBy } : {}) });
  }
}
