import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { useAppState, useStore, useT } from './context.js';
import { Icon } from './icons.js';
import { useRinger } from './ringer.js';

function Video({ stream, muted, className, testId }: { stream: MediaStream | null; muted?: boolean; className: string; testId: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && el.srcObject !== stream) el.srcObject = stream;
  }, [stream]);
  return <video ref={ref} className={className} autoPlay playsInline muted={muted} data-testid={testId} />;
}

/** Voice call audio plays through a hidden media element. */
function Audio({ stream }: { stream: MediaStream | null }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && el.srcObject !== stream) el.srcObject = stream;
  }, [stream]);
  return <audio ref={ref} autoPlay />;
}

export function CallOverlay() {
  const t = useT();
  const store = useStore();
  const { call } = useAppState();
  const [now, setNow] = useState(Date.now());
  const acceptRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (call?.phase !== 'connected') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [call?.phase]);
  useEffect(() => {
    if (call?.phase === 'incoming') acceptRef.current?.focus();
  }, [call?.phase]);
  useRinger(call?.phase === 'incoming' ? 'incoming' : call?.phase === 'calling' || call?.phase === 'ringing' ? 'outgoing' : null);
  if (!call) return null;
  const name = store.displayName(call.peer);
  let status: string;
  switch (call.phase) {
    case 'starting':
    case 'calling':
      status = t('call.calling', { name });
      break;
    case 'ringing':
      status = t('call.ringing', { name });
      break;
    case 'incoming':
      status = call.video ? t('call.incomingVideo', { name }) : t('call.incomingVoice', { name });
      break;
    case 'connecting':
      status = t('call.connecting');
      break;
    case 'connected':
      status = `${t('call.connected')} · ${formatDuration(now - (call.connectedAt ?? now))}`;
      break;
    default:
      status = call.end ? t(call.end.key, call.end.vars) + (call.end.code ? ` [${call.end.code}]` : '') : t('call.ended');
  }
  const live = call.phase !== 'ended' && call.phase !== 'incoming';
  return (
    <div className={`call-overlay ${call.video ? 'video' : 'voice'} ${call.phase}`} role="dialog" aria-modal="true" aria-label={call.video ? t('call.video') : t('call.voice')} data-testid="call-overlay" data-phase={call.phase}>
      {call.video && call.remote && <Video stream={call.remote} className="remote-video" testId="remote-video" />}
      {!call.video && <Audio stream={call.remote} />}
      <div className="call-info">
        {(!call.video || !call.remote || call.phase !== 'connected') && <Avatar name={name} seed={call.peer} size={96} />}
        <h2 dir="auto">{name}</h2>
        <p className="call-status" role="status" data-testid="call-status">
          {status}
        </p>
      </div>
      {call.video && call.local && <Video stream={call.local} muted className={`local-video${call.cameraOff ? ' off' : ''}`} testId="local-video" />}
      <div className="call-controls">
        {call.phase === 'incoming' && (
          <>
            <button type="button" className="round-button accept" onClick={() => void store.calls.accept()} ref={acceptRef} data-testid="call-accept">
              <Icon name={call.video ? 'video' : 'phone'} size={26} />
              <span>{t('call.accept')}</span>
            </button>
            <button type="button" className="round-button hangup" onClick={() => store.calls.decline()} data-testid="call-decline">
              <Icon name="hangup" size={26} />
              <span>{t('call.decline')}</span>
            </button>
          </>
        )}
        {live && (
          <>
            <button type="button" className={`round-button${call.muted ? ' toggled' : ''}`} onClick={() => store.calls.toggleMute()} aria-pressed={call.muted} data-testid="call-mute">
              <Icon name={call.muted ? 'micOff' : 'mic'} size={24} />
              <span>{call.muted ? t('call.unmute') : t('call.mute')}</span>
            </button>
            {call.video && (
              <button type="button" className={`round-button${call.cameraOff ? ' toggled' : ''}`} onClick={() => store.calls.toggleCamera()} aria-pressed={call.cameraOff} data-testid="call-camera">
                <Icon name={call.cameraOff ? 'videoOff' : 'video'} size={24} />
                <span>{call.cameraOff ? t('call.cameraOn') : t('call.cameraOff')}</span>
              </button>
            )}
            <button type="button" className="round-button hangup" onClick={() => store.calls.hangup()} data-testid="call-hangup">
              <Icon name="hangup" size={26} />
              <span>{t('call.hangup')}</span>
            </button>
          </>
        )}
        {call.phase === 'ended' && (
          <button type="button" className="round-button" onClick={() => store.calls.reset()} data-testid="call-dismiss">
            <Icon name="close" size={24} />
            <span>{t('common.close')}</span>
          </button>
        )}
      </div>
    </div>
  );
}
