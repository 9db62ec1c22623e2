import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { lastOf } from '../app/messages.js';
import type { Application, AppState, Contact, Group, PendingRequest } from '../app/store.js';
import { formatShort } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { useAppState, useStore, useT } from './context.js';
import { Icon } from './icons.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { problemOf } from '../app/errors.js';

export type Panel = 'add' | 'create' | 'profile' | null;

export function Sidebar({ openPanel }: { openPanel: (panel: Panel) => void }) {
  const t = useT();
  const store = useStore();
  const state = useAppState();
  const [tab, setTab] = useState<'chats' | 'contacts'>('chats');
  const [filter, setFilter] = useState('');
  const me = state.me!;
  const unreadTotal = Object.values(state.unread).reduce((a, b) => a + b, 0);
  const waiting = state.requests.length + state.applications.length;

  return (
    <aside className="sidebar" aria-label={t('nav.chats')}>
      <header className="sidebar-header">
        <button type="button" className="me" onClick={() => openPanel('profile')} title={t('nav.profile')} data-testid="open-profile">
          <Avatar name={me.name} picture={me.picture} seed={me.address} size={40} />
          <span className="me-text">
            <span className="name" dir="auto" data-testid="me-name">{me.name}</span>
            <span className="sub" data-testid="me-address">{me.address}</span>
          </span>
        </button>
        <ConnectionDot />
        <button type="button" className="icon-button" onClick={() => openPanel('add')} title={t('nav.add')} aria-label={t('nav.add')} data-testid="open-add">
          <Icon name="plus" />
        </button>
        <button type="button" className="icon-button" onClick={() => openPanel('create')} title={t('nav.newGroup')} aria-label={t('nav.newGroup')} data-testid="open-create">
          <Icon name="users" />
        </button>
      </header>
      <ConnectionBanner />
      <div className="tabs" role="tablist">
        <button type="button" role="tab" className="tab" aria-selected={tab === 'chats'} onClick={() => setTab('chats')} data-testid="tab-chats">
          {t('nav.chats')}
          {unreadTotal > 0 && <span className="badge">{unreadTotal > 99 ? '99+' : unreadTotal}</span>}
        </button>
        <button type="button" role="tab" className="tab" aria-selected={tab === 'contacts'} onClick={() => setTab('contacts')} data-testid="tab-contacts">
          {t('nav.contacts')}
          {waiting > 0 && <span className="badge" data-testid="requests-badge">{waiting}</span>}
        </button>
      </div>
      <div className="filter">
        <Icon name="search" size={16} />
        <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder={t('nav.filter')} aria-label={t('nav.filter')} data-testid="chat-filter" />
      </div>
      <div className="sidebar-scroll">
        {tab === 'chats' ? <ChatList state={state} filter={filter} /> : <ContactList state={state} filter={filter} />}
      </div>
      <footer className="sidebar-footer">
        <LanguageSwitch />
        <button type="button" className="button ghost small" onClick={() => void store.logout()} data-testid="logout">
          <Icon name="logout" size={16} /> {t('nav.logout')}
        </button>
      </footer>
    </aside>
  );
}

function ConnectionDot() {
  const t = useT();
  const { connection } = useAppState();
  const label = connection === 'online' ? t('conn.online') : connection === 'connecting' ? t('conn.connecting') : t('conn.offlineNow');
  return <span className={`conn-dot ${connection}`} role="status" title={label} aria-label={label} data-testid="connection" data-state={connection} />;
}

function ConnectionBanner() {
  const t = useT();
  const store = useStore();
  const { connection, retryAt, evicted } = useAppState();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (connection !== 'offline') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [connection]);
  if (connection === 'online') return null;
  const text = evicted ? t('conn.evicted') : connection === 'connecting' ? t('conn.connecting') : t('conn.offline', { seconds: Math.max(0, Math.ceil(((retryAt ?? now) - now) / 1000)) });
  return (
    <div className={`banner ${evicted ? 'error' : 'warn'}`} role="status">
      <span>{text}</span>
      {connection === 'offline' && (
        <button type="button" className="button small" onClick={() => store.reconnectNow()}>
          {t('conn.reconnect')}
        </button>
      )}
    </div>
  );
}

interface Entry {
  address: string;
  name: string;
  picture?: string;
  online?: boolean;
  kind?: 'group' | 'channel';
}

function entries(state: AppState): Entry[] {
  return [
    ...state.friends.map((f) => ({ address: f.address, name: f.name, picture: f.picture, online: f.online })),
    ...state.groups.map((g) => ({ address: g.address, name: g.name, kind: g.kind })),
  ];
}

const matches = (filter: string, ...texts: string[]) => {
  const f = filter.trim().toLowerCase();
  return !f || texts.some((x) => x.toLowerCase().includes(f));
};

function ChatList({ state, filter }: { state: AppState; filter: string }) {
  const t = useT();
  const store = useStore();
  const list = useMemo(() => {
    const withLast = entries(state).map((e) => {
      const conv = state.conversations[e.address];
      return { ...e, last: conv ? lastOf(conv) : undefined };
    });
    return withLast
      .filter((e) => matches(filter, e.name, e.address))
      .sort((a, b) => (b.last?.time ?? 0) - (a.last?.time ?? 0) || a.name.localeCompare(b.name));
  }, [state.friends, state.groups, state.conversations, filter]);
  if (!list.length) return <p className="empty">{filter.trim() ? t('chats.noMatch', { text: filter.trim() }) : t('chats.empty')}</p>;
  return (
    <ul className="list" data-testid="chat-list">
      {list.map((e) => {
        const unread = state.unread[e.address] ?? 0;
        const last = e.last;
        let preview = '';
        if (last) {
          const body = last.recalled ? t('chats.recalled') : last.text.replace(/\s+/g, ' ').slice(0, 120);
          preview = last.from === state.me?.address && !last.recalled ? t('chats.you', { text: body }) : e.kind === 'group' && !last.recalled ? `${store.displayName(last.from)}: ${body}` : body;
        }
        return (
          <li key={e.address}>
            <button type="button" className={`item${state.active === e.address ? ' active' : ''}`} onClick={() => store.openConversation(e.address)} aria-current={state.active === e.address ? 'true' : undefined} data-testid="chat-item" data-address={e.address}>
              <Avatar name={e.name} picture={e.picture} seed={e.address} online={e.online} kind={e.kind} />
              <span className="item-text">
                <span className="item-line">
                  <span className="name" dir="auto">{e.name}</span>
                  {last && <time className="time">{formatShort(last.time, state.lang)}</time>}
                </span>
                <span className="item-line">
                  <span className="sub" dir="auto">{preview || e.address}</span>
                  {unread > 0 && (
                    <span className="badge" data-testid="unread-badge" aria-label={t('chats.unread', { count: unread })}>
                      {unread > 99 ? '99+' : unread}
                    </span>
                  )}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function ContactList({ state, filter }: { state: AppState; filter: string }) {
  const t = useT();
  const friends = state.friends.filter((f) => matches(filter, f.name, f.address)).sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  const groups = state.groups.filter((g) => g.kind === 'group' && matches(filter, g.name, g.address));
  const channels = state.groups.filter((g) => g.kind === 'channel' && matches(filter, g.name, g.address));
  return (
    <div className="contacts">
      {state.requests.length > 0 && (
        <Section title={t('contacts.requests')} testId="requests-section">
          {state.requests.map((r) => (
            <RequestItem key={r.id} request={r} />
          ))}
        </Section>
      )}
      {state.applications.length > 0 && (
        <Section title={t('contacts.applications')}>
          {state.applications.map((a) => (
            <ApplicationItem key={`${a.group} ${a.member}`} application={a} />
          ))}
        </Section>
      )}
      <Section title={`${t('contacts.friends')} · ${friends.length}`}>
        {friends.length ? friends.map((f) => <ContactItem key={f.id} contact={f} />) : <li className="empty small">{t('contacts.none')}</li>}
      </Section>
      <Section title={`${t('contacts.groups')} · ${groups.length}`}>
        {groups.length ? groups.map((g) => <GroupItem key={g.address} group={g} />) : <li className="empty small">{t('contacts.none')}</li>}
      </Section>
      <Section title={`${t('contacts.channels')} · ${channels.length}`}>
        {channels.length ? channels.map((g) => <GroupItem key={g.address} group={g} />) : <li className="empty small">{t('contacts.none')}</li>}
      </Section>
    </div>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="section" data-testid={testId}>
      <h3>{title}</h3>
      <ul className="list">{children}</ul>
    </section>
  );
}

function ContactItem({ contact }: { contact: Contact }) {
  const t = useT();
  const store = useStore();
  const { active } = useAppState();
  return (
    <li>
      <button type="button" className={`item${active === contact.address ? ' active' : ''}`} onClick={() => store.openConversation(contact.address)} data-testid="friend-item" data-online={String(contact.online)} data-address={contact.address}>
        <Avatar name={contact.name} picture={contact.picture} seed={contact.address} online={contact.online} />
        <span className="item-text">
          <span className="name" dir="auto">{contact.name}</span>
          <span className="sub" dir="auto">{contact.online ? t('contacts.online') : t('contacts.offline')} · {contact.sign || contact.address}</span>
        </span>
      </button>
    </li>
  );
}

function GroupItem({ group }: { group: Group }) {
  const t = useT();
  const store = useStore();
  const { active } = useAppState();
  return (
    <li>
      <button type="button" className={`item${active === group.address ? ' active' : ''}`} onClick={() => store.openConversation(group.address)} data-testid={`${group.kind}-item`} data-address={group.address}>
        <Avatar name={group.name} seed={group.address} kind={group.kind} />
        <span className="item-text">
          <span className="name" dir="auto">{group.name}</span>
          <span className="sub">
            {group.address} · {t(`role.${group.role}` as 'role.member')}
          </span>
        </span>
      </button>
    </li>
  );
}

function RequestItem({ request }: { request: PendingRequest }) {
  const t = useT();
  const store = useStore();
  const [alias, setAlias] = useState(request.name);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      store.fail(problemOf(err));
      setBusy(false);
    }
  };
  return (
    <li className="card-item" data-testid="request-item" data-address={request.address}>
      <div className="card-head">
        <Avatar name={request.name} seed={request.address} size={36} />
        <div className="item-text">
          <span className="name" dir="auto">{request.name}</span>
          <span className="sub">{request.address}</span>
        </div>
      </div>
      {request.note && (
        <p className="note" dir="auto" data-testid="request-note-text">
          {request.note}
        </p>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => store.acceptRequest(request, alias));
        }}
      >
        <input value={alias} onChange={(e) => setAlias(e.target.value)} maxLength={64} aria-label={t('contacts.aliasFor', { name: request.name })} placeholder={t('contacts.aliasFor', { name: request.name })} data-testid="request-alias" />
        <button type="submit" className="button primary small" disabled={busy} data-testid="request-accept">
          {t('contacts.accept')}
        </button>
        <button type="button" className="button small" disabled={busy} onClick={() => void run(() => store.declineRequest(request))} data-testid="request-decline">
          {t('contacts.decline')}
        </button>
      </form>
    </li>
  );
}

function ApplicationItem({ application }: { application: Application }) {
  const t = useT();
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const answer = async (accept: boolean) => {
    setBusy(true);
    try {
      await store.answerApplication(application.group, application.member, accept);
    } catch (err) {
      store.fail(problemOf(err));
      setBusy(false);
    }
  };
  return (
    <li className="card-item" data-testid="application-item">
      <p dir="auto">{t('contacts.applicationText', { member: store.displayName(application.member), group: store.displayName(application.group) })}</p>
      <p className="sub">{application.member}</p>
      {application.note && <p className="note" dir="auto">{application.note}</p>}
      <div className="inline-form">
        <button type="button" className="button primary small" disabled={busy} onClick={() => void answer(true)} data-testid="application-accept">
          {t('info.approve')}
        </button>
        <button type="button" className="button small" disabled={busy} onClick={() => void answer(false)} data-testid="application-refuse">
          {t('info.refuse')}
        </button>
      </div>
    </li>
  );
}

