import type { Frame } from '../../../client/frames.js';
import { decodeText, encodeText } from '../../../client/monster.js';
import type { Key, Vars } from '../i18n.js';
import { normalizeAddress } from '../lib/format.js';
import { isSuccess, monsterProblem, transportProblem } from './errors.js';
import { settings } from './settings.js';

/**
 * Voice and video calls over WebRTC. The server relays the signalling (2002/2003 offer,
 * 2005 ringing, 2006 answer, 2007 ICE candidates, 2008 reject, 2009 hang-up, each with
 * base64 JSON in `text`); media flows between the two browsers.
 */

export type CallPhase = 'starting' | 'calling' | 'ringing' | 'incoming' | 'connecting' | 'connected' | 'ended';

export interface CallView {
  peer: string;
  video: boolean;
  direction: 'out' | 'in';
  phase: CallPhase;
  muted: boolean;
  cameraOff: boolean;
  local: MediaStream | null;
  remote: MediaStream | null;
  connectedAt?: number;
  end?: { key: Key; vars?: Vars; code?: string | number };
}

export interface CallHost {
  request(frame: Frame, timeoutMs?: number): Promise<Frame>;
  nameOf(address: string): string;
  setView(view: CallView | null): void;
  getView(): CallView | null;
  notify(kind: 'info' | 'error', key: Key, vars?: Vars): void;
}

const END_REASONS: Record<string, Key> = {
  hangup: 'call.end.hangup',
  cancelled: 'call.end.cancelled',
  timeout: 'call.end.timeout',
  'answered-elsewhere': 'call.end.answeredElsewhere',
  'rejected-elsewhere': 'call.end.rejectedElsewhere',
  disconnected: 'call.end.disconnected',
};

const ENDED_VISIBLE_MS = 3_500;

const pack = (value: unknown) => encodeText(JSON.stringify(value));
function unpack<T>(text: unknown): T | null {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(decodeText(text)) as T;
  } catch {
    return null;
  }
}

export class CallManager {
  private pc: RTCPeerConnection | null = null;
  private stream: MediaStream | null = null;
  private callId: string | null = null;
  private offer: RTCSessionDescriptionInit | null = null;
  private remoteCandidates: RTCIceCandidateInit[] = [];
  private localCandidates: RTCIceCandidateInit[] = [];
  private early: Frame[] = [];
  /** Bumped by every new call and every ending, so late async steps of an old call stop. */
  private generation = 0;
  private clearTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: CallHost) {}

  private get view(): CallView | null {
    return this.host.getView();
  }

  private update(patch: Partial<CallView>): void {
    const view = this.view;
    if (view) this.host.setView({ ...view, ...patch });
  }

  private busy(): boolean {
    const view = this.view;
    return !!view && view.phase !== 'ended';
  }

  async start(peer: string, video: boolean): Promise<void> {
    if (this.busy()) return this.host.notify('error', 'call.busy');
    this.reset();
    const generation = ++this.generation;
    this.host.setView({ peer, video, direction: 'out', phase: 'starting', muted: false, cameraOff: false, local: null, remote: null });
    const stream = await this.media(video);
    if (!stream || generation !== this.generation) {
      stream?.getTracks().forEach((t) => t.stop());
      return;
    }
    const pc = this.peerConnection(peer, generation);
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    let offer: RTCSessionDescriptionInit;
    try {
      offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
    } catch {
      return this.finish({ key: 'call.end.failed' });
    }
    if (generation !== this.generation) return;
    this.update({ phase: 'calling', local: stream });
    let answer: Frame;
    try {
      answer = await this.host.request({ code: video ? '2003' : '2002', to: peer, text: pack({ type: offer.type, sdp: offer.sdp }) });
    } catch (err) {
      return this.finish(transportProblem(err));
    }
    if (generation !== this.generation) {
      // Hung up while the offer was on its way: cancel it on the server too.
      if (isSuccess(answer) && typeof answer.callId === 'string') void this.host.request({ code: '2009', to: peer, callId: answer.callId }).catch(() => undefined);
      return;
    }
    if (!isSuccess(answer) || typeof answer.callId !== 'string') {
      if (answer.statusCode === '480') return this.finish({ key: 'call.end.offline', vars: { name: this.host.nameOf(peer) }, code: 480 });
      return this.finish(monsterProblem(answer));
    }
    this.callId = answer.callId;
    for (const c of this.localCandidates.splice(0)) this.sendCandidate(peer, c);
    for (const f of this.early.splice(0)) this.onPush(f);
  }

  async accept(): Promise<void> {
    const view = this.view;
    if (!view || view.phase !== 'incoming' || !this.callId || !this.offer) return;
    const generation = this.generation;
    const { peer, video } = view;
    const callId = this.callId;
    this.update({ phase: 'connecting' });
    const stream = await this.media(video);
    if (!stream) {
      // No camera or microphone (the reason is shown): the caller is told it was declined.
      void this.host.request({ code: '2008', to: peer, callId }).catch(() => undefined);
      return;
    }
    if (generation !== this.generation) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    const pc = this.peerConnection(peer, generation);
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    this.update({ local: stream });
    let answer: RTCSessionDescriptionInit;
    try {
      await pc.setRemoteDescription(this.offer);
      await this.addRemoteCandidates();
      answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
    } catch {
      void this.host.request({ code: '2008', to: peer, callId }).catch(() => undefined);
      return this.finish({ key: 'call.end.failed' });
    }
    let reply: Frame;
    try {
      reply = await this.host.request({ code: '2006', to: peer, callId, text: pack({ type: answer.type, sdp: answer.sdp }) });
    } catch (err) {
      return this.finish(transportProblem(err));
    }
    if (generation !== this.generation) return;
    if (!isSuccess(reply)) return this.finish(monsterProblem(reply));
    for (const c of this.localCandidates.splice(0)) this.sendCandidate(peer, c);
  }

  decline(): void {
    const view = this.view;
    if (!view || view.phase !== 'incoming' || !this.callId) return;
    void this.host.request({ code: '2008', to: view.peer, callId: this.callId }).catch(() => undefined);
    this.finish({ key: 'call.ended' }, 0);
  }

  hangup(): void {
    const view = this.view;
    if (!view) return;
    if (view.phase === 'ended') return this.reset();
    if (this.callId) void this.host.request({ code: '2009', to: view.peer, callId: this.callId }).catch(() => undefined);
    this.finish({ key: 'call.end.local' }, 1_500);
  }

  toggleMute(): void {
    const view = this.view;
    if (!view || !this.stream) return;
    const muted = !view.muted;
    for (const t of this.stream.getAudioTracks()) t.enabled = !muted;
    this.update({ muted });
  }

  toggleCamera(): void {
    const view = this.view;
    if (!view || !this.stream) return;
    const cameraOff = !view.cameraOff;
    for (const t of this.stream.getVideoTracks()) t.enabled = !cameraOff;
    this.update({ cameraOff });
  }

  onPush(frame: Frame): void {
    const code = String(frame.code);
    const callId = typeof frame.callId === 'string' ? frame.callId : '';
    if (code === '2002' || code === '2003') return this.incoming(frame, code === '2003', callId);
    if (!this.callId) {
      // An outgoing call learns its callId from the answer; pushes may not wait for it.
      const view = this.view;
      if (view && view.direction === 'out' && view.phase !== 'ended') this.early.push(frame);
      return;
    }
    if (callId !== this.callId) return;
    const view = this.view;
    if (!view) return;
    switch (code) {
      case '2005':
        if (view.direction === 'out' && view.phase === 'calling') this.update({ phase: 'ringing' });
        return;
      case '2006': {
        const answer = unpack<RTCSessionDescriptionInit>(frame.text);
        if (view.direction !== 'out' || !answer || !this.pc) return;
        this.update({ phase: 'connecting' });
        const generation = this.generation;
        void this.pc
          .setRemoteDescription(answer)
          .then(() => this.addRemoteCandidates())
          .catch(() => {
            if (generation === this.generation) this.hangupBecause({ key: 'call.end.failed' });
          });
        return;
      }
      case '2007': {
        const candidate = unpack<RTCIceCandidateInit>(frame.text);
        if (!candidate) return;
        if (this.pc?.remoteDescription) void this.pc.addIceCandidate(candidate).catch(() => undefined);
        else this.remoteCandidates.push(candidate);
        return;
      }
      case '2008':
        return this.finish({ key: 'call.end.declined', vars: { name: this.host.nameOf(view.peer) } });
      case '2009': {
        const reason = typeof frame.reason === 'string' ? frame.reason : 'hangup';
        const missed = view.direction === 'in' && view.phase === 'incoming' && (reason === 'cancelled' || reason === 'timeout');
        if (missed) this.host.notify('info', 'call.missed', { name: this.host.nameOf(view.peer) });
        return this.finish({ key: END_REASONS[reason] ?? 'call.ended', vars: { name: this.host.nameOf(view.peer) } }, missed ? 0 : ENDED_VISIBLE_MS);
      }
    }
  }

  /** The login socket closed: the server ends the call for the other party. */
  onDisconnected(): void {
    if (this.busy()) this.finish({ key: 'err.closed' });
  }

  /** The peer is no longer a friend. */
  onContactGone(address: string): void {
    if (this.busy() && this.view?.peer === address) this.hangup();
  }

  /** Drops everything at once (logout, or a dismissed ended call). */
  reset(): void {
    this.generation++;
    this.teardown();
    clearTimeout(this.clearTimer);
    if (this.view) this.host.setView(null);
  }

  private incoming(frame: Frame, video: boolean, callId: string): void {
    const from = normalizeAddress(typeof frame.from === 'string' ? frame.from : '');
    const offer = unpack<RTCSessionDescriptionInit>(frame.text);
    if (!callId || !from || !offer) return;
    if (this.busy()) {
      // Busy with another call: this one is declined.
      void this.host.request({ code: '2008', to: from, callId }).catch(() => undefined);
      return;
    }
    this.reset();
    ++this.generation;
    this.callId = callId;
    this.offer = offer;
    this.host.setView({ peer: from, video, direction: 'in', phase: 'incoming', muted: false, cameraOff: false, local: null, remote: null });
    void this.host.request({ code: '2005', to: from, callId }).catch(() => undefined);
  }

  private async media(video: boolean): Promise<MediaStream | null> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.finish({ key: 'call.insecure' });
      return null;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: video ? { width: { ideal: 1280 }, height: { ideal: 720 } } : false });
      this.stream = stream;
      return stream;
    } catch (err) {
      this.finish({ key: 'call.noMedia', vars: { detail: err instanceof Error ? err.name : String(err) } });
      return null;
    }
  }

  private peerConnection(peer: string, generation: number): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: settings.iceServers });
    this.pc = pc;
    pc.onicecandidate = (event) => {
      if (!event.candidate || generation !== this.generation) return;
      const candidate = event.candidate.toJSON();
      const view = this.view;
      // The callee has its callId from the offer, but sends candidates only after its answer.
      if (this.callId && !(view?.direction === 'in' && !pc.localDescription)) this.sendCandidate(peer, candidate);
      else this.localCandidates.push(candidate);
    };
    pc.ontrack = (event) => {
      if (generation !== this.generation) return;
      const remote = event.streams[0] ?? this.view?.remote ?? new MediaStream();
      if (!event.streams[0]) remote.addTrack(event.track);
      this.update({ remote });
    };
    pc.onconnectionstatechange = () => {
      if (generation !== this.generation) return;
      if (pc.connectionState === 'connected' && this.view?.phase !== 'connected') this.update({ phase: 'connected', connectedAt: Date.now() });
      else if (pc.connectionState === 'failed') this.hangupBecause({ key: 'call.end.failed' });
    };
    return pc;
  }

  private async addRemoteCandidates(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    for (const c of this.remoteCandidates.splice(0)) await pc.addIceCandidate(c).catch(() => undefined);
  }

  private sendCandidate(peer: string, candidate: RTCIceCandidateInit): void {
    if (!this.callId) return;
    void this.host.request({ code: '2007', to: peer, callId: this.callId, text: pack(candidate) }).catch(() => undefined);
  }

  private hangupBecause(end: NonNullable<CallView['end']>): void {
    const view = this.view;
    if (view && this.callId) void this.host.request({ code: '2009', to: view.peer, callId: this.callId }).catch(() => undefined);
    this.finish(end);
  }

  /** Ends the call here: media released, the reason shown for a moment. */
  private finish(end: NonNullable<CallView['end']>, visibleMs = ENDED_VISIBLE_MS): void {
    this.generation++;
    this.teardown();
    const view = this.view;
    if (!view) return;
    this.host.setView({ ...view, phase: 'ended', end, local: null, remote: null });
    clearTimeout(this.clearTimer);
    this.clearTimer = setTimeout(() => {
      if (this.view?.phase === 'ended') this.host.setView(null);
    }, visibleMs);
  }

  private teardown(): void {
    if (this.pc) {
      this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    this.pc = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.callId = null;
    this.offer = null;
    this.remoteCandidates = [];
    this.localCandidates = [];
    this.early = [];
  }
}
