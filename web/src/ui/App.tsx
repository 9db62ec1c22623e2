import { useEffect, useState } from 'react';
import { AuthView } from './AuthView.js';
import { CallOverlay } from './CallOverlay.js';
import { problemText, useAppState, useStore, useT } from './context.js';
import { ConversationPane } from './Conversation.js';
import { AddDialog, ProfileDialog } from './Dialogs.js';
import { Sidebar, type Panel } from './Sidebar.js';
import { Toasts } from './Toasts.js';

export function App() {
  const { phase } = useAppState();
  return (
    <>
      {phase === 'boot' && <Boot />}
      {phase === 'auth' && <AuthView />}
      {phase === 'app' && <Main />}
      <CallOverlay />
      <Toasts />
    </>
  );
}

function Boot() {
  const t = useT();
  const store = useStore();
  const { bootProblem } = useAppState();
  return (
    <main className="boot" data-testid="boot-view">
      <span className="brand-mark big" aria-hidden="true">m</span>
      {bootProblem ? (
        <>
          <p role="alert">{problemText(t, bootProblem)}</p>
          <div className="form-actions">
            <button type="button" className="button primary" onClick={() => store.retryBoot()} data-testid="boot-retry">
              {t('boot.retry')}
            </button>
            <button type="button" className="button" onClick={() => void store.logout()}>
              {t('nav.logout')}
            </button>
          </div>
        </>
      ) : (
        <p className="muted" role="status">{t('boot.connecting')}</p>
      )}
    </main>
  );
}

function Main() {
  const { active } = useAppState();
  const [panel, setPanel] = useState<Panel>(null);

  // Ctrl/Cmd+K: filter the chats. Alt+↑ / Alt+↓: the previous / next conversation in the list.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        document.querySelector<HTMLInputElement>('[data-testid="chat-filter"]')?.focus();
      } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        const items = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="chat-item"], [data-testid="friend-item"], [data-testid="group-item"], [data-testid="channel-item"]')];
        if (!items.length) return;
        e.preventDefault();
        const current = items.findIndex((b) => b.classList.contains('active'));
        const next = e.key === 'ArrowDown' ? (current + 1) % items.length : (current <= 0 ? items.length : current) - 1;
        items[next]!.click();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className={`layout${active ? ' has-active' : ''}`} data-testid="app-view">
      <Sidebar openPanel={setPanel} />
      <ConversationPane />
      {(panel === 'add' || panel === 'create') && <AddDialog initial={panel === 'add' ? 'find' : 'create'} onClose={() => setPanel(null)} />}
      {panel === 'profile' && <ProfileDialog onClose={() => setPanel(null)} />}
    </div>
  );
}
