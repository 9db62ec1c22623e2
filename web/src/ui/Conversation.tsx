import { memo, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { problemOf } from '../app/errors.js';
import type { ChatMessage, Conversation as Conv } from '../app/messages.js';
import { settings } from '../app/settings.js';
import { MAX_TEXT_BYTES, type Group } from '../app/store.js';
import type { Lang } from '../i18n.js';
import { dayKey, formatDay, formatTime, utf8Length } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { problemText, useAppState, useStore, useT, type T } from './context.js';
import { Icon } from './icons.js';
import { InfoPanel } from './InfoPanel.js';

export function ConversationPane() {
  const t = useT();
  const store = useStore();
  const state = useAppState();
  const [info, setInfo] = useState(false);
  const address = state.active;
  useEffect(() => setInfo(false), [address]);
  if (!address) {
    return (
      <section className="pane pane-empty" aria-label={t('conv.select')}>
        <div className="empty-state">
          <Icon name="chat" size={48} />
          <h2>{t('conv.select')}</h2>
          <p className="muted">{t('conv.selectHint')}</p>
        </div>
      </section>
    );
  }
  const friend = state.friends.find((f) => f.address === address);
  const group = state.groups.find((g) => g.address === address);
  const name = store.displayName(address);
  const conv = state.conversations[address];
  // On a phone the list is hidden: the back button tells of unread messages elsewhere.
  const elsewhere = Object.entries(state.unread).reduce((n, [a, c]) => (a === address ? n : n + c), 0);
  const readOnly = group?.kind === 'channel' && group.role !== 'owner' && group.role !== 'admin';
  return (
    <section className="pane conversation" aria-label={name} data-testid="conversation" data-address={address}>
      <header className="conv-header">
        <button type="button" className="icon-button back" onClick={() => store.openConversation(null)} aria-label={t('common.back')} data-testid="back">
          <Icon name="back" />
          {elsewhere > 0 && <span className="badge back-badge">{elsewhere > 99 ? '99+' : elsewhere}</span>}
        </button>
        <Avatar name={name} picture={friend?.picture} seed={address} online={friend?.online} kind={group?.kind} />
        <div className="conv-title">
          <h2 dir="auto" data-testid="conversation-title">{name}</h2>
          <span className="sub">{friend ? `${friend.online ? t('contacts.online') : t('contacts.offline')} · ${address}` : group ? `${group.kind === 'channel' ? t('conv.channel') : t('conv.group')} · ${address}` : address}</span>
        </div>
        {friend && (
          <>
            <button type="button" className="icon-button" onClick={() => void store.calls.start(address, false)} title={t('conv.voiceCall')} aria-label={t('conv.voiceCall')} data-testid="call-voice">
              <Icon name="phone" />
            </button>
            <button type="button" className="icon-button" onClick={() => void store.calls.start(address, true)} title={t('conv.videoCall')} aria-label={t('conv.videoCall')} data-testid="call-video">
              <Icon name="video" />
            </button>
          </>
        )}
        <button type="button" className={`icon-button${info ? ' pressed' : ''}`} onClick={() => setInfo((v) => !v)} aria-pressed={info} title={t('conv.info')} aria-label={t('conv.info')} data-testid="open-info">
          <Icon name="info" />
        </button>
      </header>
      <div className="conv-body">
        <div className="conv-main">
          <MessageList address={address} conv={conv} group={group} label={t('conv.messages', { name })} />
          {readOnly ? <p className="read-only">{t('conv.channelReadOnly')}</p> : <Composer address={address} />}
        </div>
        {info && <InfoPanel address={address} friend={friend} group={group} onClose={() => setInfo(false)} />}
      </div>
    </section>
  );
}

function MessageList({ address, conv, group, label }: { address: string; conv: Conv | undefined; group: Group | undefined; label: string }) {
  const t = useT();
  const store = useStore();
  const { lang, me } = useAppState();
  const ref = useRef<HTMLDivElement>(null);
  const messages = conv?.messages ?? [];
  const first = messages[0]?.key;
  const last = messages[messages.length - 1]?.key;
  const previous = useRef({ first, last, height: 0, top: 0, address });
  const [below, setBelow] = useState(false);

  // Keep the view where the reader is: at the bottom for new messages (unless they scrolled
  // up), at the same message when older ones are put above.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const prev = previous.current;
    const atBottom = prev.height - prev.top - el.clientHeight < 80;
    if (prev.address !== address || !prev.last) el.scrollTop = el.scrollHeight;
    else if (first !== prev.first && last === prev.last) el.scrollTop = prev.top + (el.scrollHeight - prev.height);
    else if (last !== prev.last) {
      const mine = messages[messages.length - 1]?.from === me?.address;
      if (atBottom || mine) el.scrollTop = el.scrollHeight;
      else setBelow(true);
    }
    previous.current = { first, last, height: el.scrollHeight, top: el.scrollTop, address };
  });

  // History loads as the reader scrolls up, and at once while the page is not full.
  useEffect(() => {
    const el = ref.current;
    if (!el || !conv?.latestLoaded || conv.older !== 'idle') return;
    if (el.scrollHeight <= el.clientHeight + 40) void store.loadOlder(address);
  }, [conv?.latestLoaded, conv?.older, messages.length, address, store]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    previous.current = { ...previous.current, height: el.scrollHeight, top: el.scrollTop };
    if (el.scrollTop < 150 && conv?.older === 'idle') void store.loadOlder(address);
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 80) setBelow(false);
  };

  const rows: ReactNode[] = [];
  let day = '';
  for (const m of messages) {
    const d = dayKey(m.time);
    if (d !== day) {
      day = d;
      rows.push(
        <li key={`day ${d}`} className="day" role="separator">
          <span>{formatDay(m.time, lang, t('conv.today'), t('conv.yesterday'))}</span>
        </li>,
      );
    }
    rows.push(<MessageRow key={m.key} message={m} mine={m.from === me?.address} address={address} showSender={!!group && m.from !== me?.address} senderName={store.displayName(m.from)} lang={lang} t={t} />);
  }

  return (
    <div className="messages" ref={ref} onScroll={onScroll} data-testid="message-list" tabIndex={0} aria-label={label} role="log" aria-live="polite">
      <div className="history-state">
        {conv?.older === 'loading' && <span className="muted">{t('common.loading')}</span>}
        {conv?.older === 'done' && <span className="muted" data-testid="history-start">{t('conv.beginning')}</span>}
        {conv?.older === 'idle' && conv.latestLoaded && (
          <button type="button" className="button small ghost" onClick={() => void store.loadOlder(address)} data-testid="load-earlier">
            {t('conv.loadEarlier')}
          </button>
        )}
        {conv?.older === 'error' && (
          <button type="button" className="button small" onClick={() => void store.loadOlder(address)}>
            {t('conv.historyFailed')} {t('common.retry')}
          </button>
        )}
      </div>
      <ol className="message-rows">{rows}</ol>
      {below && (
        <button
          type="button"
          className="new-below button small primary"
          onClick={() => {
            const el = ref.current;
            if (el) el.scrollTop = el.scrollHeight;
            setBelow(false);
          }}
        >
          {t('conv.newMessages')} ↓
        </button>
      )}
    </div>
  );
}

const MessageRow = memo(function MessageRow({ message: m, mine, address, showSender, senderName, lang, t }: { message: ChatMessage; mine: boolean; address: string; showSender: boolean; senderName: string; lang: Lang; t: T }) {
  const store = useStore();
  if (m.recalled) {
    return (
      <li className="message system" data-testid="message" data-recalled="true" data-state={m.state}>
        <Icon name="undo" size={14} /> {mine ? t('msg.recalledMine') : t('msg.recalledOther', { name: senderName })}
      </li>
    );
  }
  const recallable = mine && m.state === 'stored' && !m.live && Date.now() - m.time < settings.recallWindowMs;
  const recall = async () => {
    try {
      await store.recall(address, m.key);
    } catch (err) {
      store.fail(problemOf(err));
    }
  };
  return (
    <li className={`message ${mine ? 'mine' : 'theirs'}${m.state === 'failed' ? ' failed' : ''}`} data-testid="message" data-state={m.state} data-message-id={m.messageId}>
      {showSender && (
        <span className="sender" dir="auto">
          {senderName}
        </span>
      )}
      <div className="bubble" dir="auto" data-testid="message-text">
        {m.text}
      </div>
      <div className="meta">
        {m.live && (
          <span className="live-tag" title={t('msg.liveHint')}>
            {t('msg.live')}
          </span>
        )}
        <time dateTime={new Date(m.time).toISOString()}>{formatTime(m.time, lang)}</time>
        {mine && m.state === 'sending' && (
          <span className="state" title={t('msg.sending')} data-testid="state-sending">
            <Icon name="clock" size={13} label={t('msg.sending')} />
          </span>
        )}
        {mine && m.state === 'queued' && (
          <span className="state" title={t('msg.queued')} data-testid="state-queued">
            <Icon name="clock" size={13} label={t('msg.queued')} /> {t('msg.queued')}
          </span>
        )}
        {mine && m.state === 'stored' && !m.live && (
          <span className="state ok" title={t('msg.stored')}>
            <Icon name="check" size={13} label={t('msg.stored')} />
          </span>
        )}
        {m.state === 'failed' && (
          <>
            <span className="state bad" role="alert" title={m.problem?.detail}>
              <Icon name="alert" size={13} /> {t('msg.failed')}
              {m.problem && `: ${problemText(t, m.problem)}`}
            </span>
            <button type="button" className="link-button" onClick={() => store.retry(address, m.key)} data-testid="message-retry">
              {t('msg.retry')}
            </button>
          </>
        )}
        {recallable && (
          <button type="button" className="link-button recall" onClick={() => void recall()} data-testid="message-recall">
            {t('msg.recall')}
          </button>
        )}
      </div>
    </li>
  );
});

function Composer({ address }: { address: string }) {
  const t = useT();
  const store = useStore();
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const drafts = useRef(new Map<string, string>());
  const current = useRef(address);

  // A draft per conversation; focus follows the conversation.
  useEffect(() => {
    drafts.current.set(current.current, ref.current?.value ?? '');
    current.current = address;
    setText(drafts.current.get(address) ?? '');
    if (window.matchMedia('(pointer: fine)').matches) ref.current?.focus();
  }, [address]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
  }, [text]);

  const size = utf8Length(text);
  const tooLong = size > MAX_TEXT_BYTES;
  const send = () => {
    if (!text.trim() || tooLong) return;
    store.send(address, text);
    setText('');
    drafts.current.set(address, '');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line; an input method still composing keeps Enter.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea ref={ref} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} rows={1} placeholder={t('conv.placeholder')} aria-label={t('conv.placeholder')} aria-describedby="composer-hint" dir="auto" data-testid="message-input" />
      <button type="submit" className="send-button" disabled={!text.trim() || tooLong} aria-label={t('conv.send')} title={t('conv.send')} data-testid="send-button">
        <Icon name="send" />
      </button>
      <small id="composer-hint" className={`composer-hint${tooLong ? ' bad' : ''}`} role={tooLong ? 'alert' : undefined}>
        {tooLong ? t('conv.tooLong', { size, max: MAX_TEXT_BYTES }) : t('conv.composerHint')}
      </small>
    </form>
  );
}

