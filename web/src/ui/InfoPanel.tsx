import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { problemOf, type Problem } from '../app/errors.js';
import type { AccountInfo, Contact, Group, Member } from '../app/store.js';
import { Avatar } from './Avatar.js';
import { problemText, useAppState, useStore, useT } from './context.js';
import { Icon } from './icons.js';
import { Confirm } from './Modal.js';
import { PolicyFields } from './PolicyFields.js';

export function InfoPanel({ address, friend, group, onClose }: { address: string; friend?: Contact; group?: Group; onClose: () => void }) {
  const t = useT();
  return (
    <aside className="info-panel" aria-label={t('conv.info')} data-testid="info-panel">
      <header className="info-header">
        <h3>{t('conv.info')}</h3>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      {friend ? <FriendInfo friend={friend} /> : group ? <GroupInfo group={group} /> : <p className="muted">{address}</p>}
    </aside>
  );
}

function FriendInfo({ friend }: { friend: Contact }) {
  const t = useT();
  const store = useStore();
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="info-body">
      <div className="info-identity">
        <Avatar name={friend.name} picture={friend.picture} seed={friend.address} size={88} online={friend.online} />
        <h4 dir="auto">{friend.name}</h4>
        <span className="sub">{friend.address}</span>
      </div>
      <dl className="facts">
        {friend.sign && (
          <>
            <dt>{t('profile.sign')}</dt>
            <dd dir="auto">{friend.sign}</dd>
          </>
        )}
        {friend.sex && (
          <>
            <dt>{t('profile.sex')}</dt>
            <dd dir="auto">{friend.sex}</dd>
          </>
        )}
        {friend.birthday && (
          <>
            <dt>{t('profile.birthday')}</dt>
            <dd dir="auto">{friend.birthday}</dd>
          </>
        )}
      </dl>
      <button type="button" className="button danger block" onClick={() => setConfirm(true)} data-testid="remove-friend">
        {t('info.remove')}
      </button>
      {confirm && (
        <Confirm
          danger
          text={t('info.removeConfirm', { name: friend.name })}
          confirmLabel={t('info.remove')}
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            store.removeFriend(friend).catch((err: unknown) => store.fail(problemOf(err)));
          }}
        />
      )}
    </div>
  );
}

function GroupInfo({ group }: { group: Group }) {
  const t = useT();
  const store = useStore();
  const { me } = useAppState();
  const [info, setInfo] = useState<AccountInfo | null>(null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [confirm, setConfirm] = useState<'leave' | 'delete' | null>(null);
  const manager = group.role === 'owner' || group.role === 'admin';

  const reload = useCallback(async () => {
    try {
      const [i, m] = await Promise.all([store.accountInfo(group.address), store.members(group.address)]);
      setInfo(i);
      setMembers(m);
      setProblem(null);
    } catch (err) {
      setProblem(problemOf(err));
    }
  }, [store, group.address]);
  useEffect(() => void reload(), [reload]);

  const act = async (action: () => Promise<void>) => {
    try {
      await action();
      await reload();
    } catch (err) {
      store.fail(problemOf(err));
    }
  };

  return (
    <div className="info-body">
      <div className="info-identity">
        <Avatar name={group.name} seed={group.address} size={88} kind={group.kind} />
        <h4 dir="auto">{group.name}</h4>
        <span className="sub">{group.address}</span>
        <span className="sub">
          {group.kind === 'channel' ? t('conv.channel') : t('conv.group')}
          {info?.members !== undefined && ` · ${t('conv.members', { count: info.members })}`} · {t(`role.${group.role}` as 'role.member')}
        </span>
      </div>
      {problem && <p className="form-error">{problemText(t, problem)}</p>}
      {info?.info.find((i) => i.title === 'synopsis')?.value && (
        <p className="note" dir="auto">
          {info.info.find((i) => i.title === 'synopsis')!.value}
        </p>
      )}
      <section className="section">
        <h3>{t('info.membersTitle')}</h3>
        <ul className="list members" data-testid="member-list">
          {(members ?? []).map((m) => (
            <li key={m.address} className="member" data-testid="member-item" data-role={m.role}>
              <Avatar name={m.nickname || m.address} seed={m.address} size={32} />
              <span className="item-text">
                <span className="name" dir="auto">
                  {m.nickname || m.address}
                  {m.address === me?.address && ` (${t('common.you')})`}
                </span>
                <span className="sub">
                  {m.address} · {t(`role.${m.role}` as 'role.member')}
                </span>
              </span>
              {manager && m.address !== me?.address && (
                <span className="member-actions">
                  {m.role === 'pending' && (
                    <>
                      <button type="button" className="button small primary" onClick={() => void act(() => store.answerApplication(group.address, m.address, true))} data-testid="member-approve">
                        {t('info.approve')}
                      </button>
                      <button type="button" className="button small" onClick={() => void act(() => store.answerApplication(group.address, m.address, false))}>
                        {t('info.refuse')}
                      </button>
                    </>
                  )}
                  {group.role === 'owner' && (m.role === 'member' || m.role === 'admin') && (
                    <button type="button" className="button small" onClick={() => void act(() => store.setAdmin(group.address, m.address, m.role === 'member'))}>
                      {m.role === 'member' ? t('info.makeAdmin') : t('info.unmakeAdmin')}
                    </button>
                  )}
                  {(m.role === 'member' || (group.role === 'owner' && m.role === 'admin')) && (
                    <button type="button" className="button small ghost" onClick={() => void act(() => store.removeMember(group.address, m.address))}>
                      {t('info.removeMember')}
                    </button>
                  )}
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>
      {manager && info && <GroupSettings group={group} info={info} onSaved={() => void reload()} />}
      {group.role === 'owner' ? (
        <button type="button" className="button danger block" onClick={() => setConfirm('delete')} data-testid="delete-group">
          {t('info.delete')}
        </button>
      ) : (
        <button type="button" className="button danger block" onClick={() => setConfirm('leave')} data-testid="leave-group">
          {t('info.leave')}
        </button>
      )}
      {confirm && (
        <Confirm
          danger
          text={confirm === 'leave' ? t('info.leaveConfirm', { name: group.name }) : t('info.deleteConfirm', { name: group.name })}
          confirmLabel={confirm === 'leave' ? t('info.leave') : t('info.delete')}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const what = confirm;
            setConfirm(null);
            (what === 'leave' ? store.leaveGroup(group.address) : store.deleteGroup(group.address)).catch((err: unknown) => store.fail(problemOf(err)));
          }}
        />
      )}
    </div>
  );
}

function GroupSettings({ group, info, onSaved }: { group: Group; info: AccountInfo; onSaved: () => void }) {
  const t = useT();
  const store = useStore();
  const nameId = useId();
  const [nickname, setNickname] = useState(info.nickname);
  const [policy, setPolicy] = useState(info.policy ?? 'approve');
  const [pass, setPass] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await store.updateGroup(group.address, { nickname: nickname.trim(), policy, ...(pass ? { pass } : {}) });
      setPass('');
      store.toast('info', 'info.saved');
      onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form compact" onSubmit={(e) => void submit(e)} data-testid="group-settings">
      <h3>{t('info.settings')}</h3>
      <div className="field">
        <label htmlFor={nameId}>{t('create.displayName')}</label>
        <input id={nameId} value={nickname} onChange={(e) => setNickname(e.target.value)} maxLength={64} required />
      </div>
      <PolicyFields group policy={policy} setPolicy={setPolicy} pass={pass} setPass={setPass} passKnown={info.policy === 'pass'} />
      {problem && <p className="form-error" role="alert">{problemText(t, problem)}</p>}
      <button type="submit" className="button primary" disabled={busy} data-testid="group-settings-save">
        {t('common.save')}
      </button>
    </form>
  );
}
