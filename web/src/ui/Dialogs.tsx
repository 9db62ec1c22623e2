import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Person } from '../../../client/minami.js';
import { problemOf, type Problem } from '../app/errors.js';
import type { AccountInfo, GroupKind } from '../app/store.js';
import type { Key } from '../i18n.js';
import { domainOf, looksLikeAddress, normalizeAddress } from '../lib/format.js';
import { PictureError, pictureFromFile } from '../lib/picture.js';
import { Avatar } from './Avatar.js';
import { problemText, useAppState, useStore, useT } from './context.js';
import { Modal } from './Modal.js';
import { PolicyFields } from './PolicyFields.js';

type AddTab = 'find' | 'address' | 'create';

export function AddDialog({ initial, onClose }: { initial: AddTab; onClose: () => void }) {
  const t = useT();
  const [tab, setTab] = useState<AddTab>(initial);
  const tabs: Array<[AddTab, Key]> = [
    ['find', 'add.find'],
    ['address', 'add.byAddress'],
    ['create', 'add.create'],
  ];
  return (
    <Modal title={t('add.title')} onClose={onClose} testId="add-dialog" wide>
      <div className="tabs" role="tablist">
        {tabs.map(([id, key]) => (
          <button key={id} type="button" role="tab" className="tab" aria-selected={tab === id} onClick={() => setTab(id)} data-testid={`add-tab-${id}`}>
            {t(key)}
          </button>
        ))}
      </div>
      {tab === 'find' && <FindPeople />}
      {tab === 'address' && <ByAddress />}
      {tab === 'create' && <CreateGroup onDone={onClose} />}
    </Modal>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

type Outcome = { kind: 'ok' | 'bad'; text: string };

function outcomeOf(t: ReturnType<typeof useT>, type: string, name: string, group: boolean): Outcome {
  if (type === 'queued') return { kind: 'ok', text: t('add.result.queued', { name }) };
  if (type === '1') return { kind: 'ok', text: group ? t('add.result.joined', { name }) : t('add.result.friends', { name }) };
  if (type === '2') return { kind: 'ok', text: t('add.result.waiting', { name }) };
  return { kind: 'bad', text: t('add.result.wrongPass') };
}

function FindPeople() {
  const t = useT();
  const store = useStore();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Array<Person & { address: string }> | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      setResults(await store.search(query));
    } catch (err) {
      setProblem(problemOf(err));
      setResults(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="add-panel">
      <form className="search-form" onSubmit={(e) => void submit(e)} role="search">
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('add.searchLabel')} aria-label={t('add.searchLabel')} maxLength={64} autoFocus data-testid="search-input" />
        <button type="submit" className="button primary" disabled={busy} data-testid="search-button">
          {t('add.search')}
        </button>
      </form>
      {problem && <p className="form-error" role="alert">{problemText(t, problem)}</p>}
      {results && !results.length && <p className="empty">{t('add.nobody')}</p>}
      {results && results.length > 0 && (
        <ul className="list results">
          {results.map((p) => (
            <SearchResult key={p.id} person={p} />
          ))}
        </ul>
      )}
    </div>
  );
}

function SearchResult({ person }: { person: Person & { address: string } }) {
  const t = useT();
  const store = useStore();
  const { friends } = useAppState();
  const [note, setNote] = useState('');
  const [pass, setPass] = useState('');
  const [needsPass, setNeedsPass] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const isFriend = friends.some((f) => f.id === person.id);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const type = await store.apply(person.address, { note, pass, name: person.name });
      setOutcome(outcomeOf(t, type, person.name, false));
      setNeedsPass(type === '3');
    } catch (err) {
      setOutcome({ kind: 'bad', text: problemText(t, problemOf(err)) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="card-item" data-testid="search-result" data-address={person.address}>
      <div className="card-head">
        <Avatar name={person.name} picture={person.picture} seed={person.address} size={40} />
        <div className="item-text">
          <span className="name" dir="auto">{person.name}</span>
          <span className="sub">{person.address}</span>
          {person.sign && <span className="sub" dir="auto">{person.sign}</span>}
        </div>
      </div>
      {isFriend ? (
        <p className="ok-text">{t('add.friends')}</p>
      ) : outcome?.kind === 'ok' ? (
        <p className="ok-text" role="status" data-testid="request-outcome">{outcome.text}</p>
      ) : (
        <form className="inline-form" onSubmit={(e) => void send(e)}>
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('add.notePlaceholder')} aria-label={t('common.note')} maxLength={256} data-testid="request-note" />
          {needsPass && <input value={pass} onChange={(e) => setPass(e.target.value)} placeholder={t('policy.pass.code')} aria-label={t('policy.pass.code')} maxLength={64} required />}
          <button type="submit" className="button primary small" disabled={busy} data-testid="send-request">
            {t('add.request')}
          </button>
        </form>
      )}
      {outcome?.kind === 'bad' && (
        <p className="form-error" role="alert" data-testid="request-outcome">
          {outcome.text}
        </p>
      )}
    </li>
  );
}

function ByAddress() {
  const t = useT();
  const store = useStore();
  const [address, setAddress] = useState('');
  const [info, setInfo] = useState<AccountInfo | null>(null);
  const [pass, setPass] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  const lookUp = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setOutcome(null);
    setInfo(null);
    const target = normalizeAddress(address);
    if (!looksLikeAddress(target)) {
      setProblem({ key: 'err.m.notAddress' });
      return;
    }
    setBusy(true);
    try {
      setInfo(await store.accountInfo(target));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const apply = async (e: FormEvent) => {
    e.preventDefault();
    if (!info) return;
    setBusy(true);
    setOutcome(null);
    try {
      const type = await store.apply(info.address, { pass, note, name: info.nickname || info.address });
      setOutcome(outcomeOf(t, type, info.nickname || info.address, info.accountType !== '1'));
    } catch (err) {
      setOutcome({ kind: 'bad', text: problemText(t, problemOf(err)) });
    } finally {
      setBusy(false);
    }
  };
  const kindKey: Key = info?.accountType === '2' ? 'add.kindGroup' : info?.accountType === '3' ? 'add.kindChannel' : 'add.kindPerson';
  const actionKey: Key = info?.accountType === '2' ? 'add.join' : info?.accountType === '3' ? 'add.subscribe' : 'add.sendRequest';
  const policyKey = info?.policy === 'open' || info?.policy === 'approve' || info?.policy === 'pass' ? (`add.policy.${info.policy}` as Key) : null;
  return (
    <div className="add-panel">
      <form className="search-form" onSubmit={(e) => void lookUp(e)}>
        <input value={address} onChange={(e) => setAddress(e.target.value)} placeholder={t('add.addressPlaceholder')} aria-label={t('add.addressLabel')} autoCapitalize="none" spellCheck={false} maxLength={400} autoFocus data-testid="address-input" />
        <button type="submit" className="button primary" disabled={busy} data-testid="address-lookup">
          {t('add.lookUp')}
        </button>
      </form>
      <small className="muted">{t('add.remoteNote')}</small>
      {problem && (
        <p className="form-error" role="alert" data-testid="address-problem">
          {problemText(t, problem)}
        </p>
      )}
      {info && (
        <form className="card-item" onSubmit={(e) => void apply(e)} data-testid="address-card">
          <div className="card-head">
            <Avatar name={info.nickname || info.address} seed={info.address} size={48} kind={info.accountType === '2' ? 'group' : info.accountType === '3' ? 'channel' : undefined} />
            <div className="item-text">
              <span className="name" dir="auto">{info.nickname}</span>
              <span className="sub">{info.address}</span>
              <span className="sub">
                {t(kindKey)}
                {info.members !== undefined && ` · ${t('conv.members', { count: info.members })}`}
                {policyKey && ` · ${t(policyKey)}`}
              </span>
            </div>
          </div>
          {info.info.filter((i) => i.value).length > 0 && (
            <dl className="facts">
              {info.info
                .filter((i) => i.value)
                .map((i) => (
                  <div key={i.title} className="fact">
                    <dt>{i.title === 'synopsis' ? t('profile.sign') : i.title === 'mail' ? t('profile.mail') : i.title === 'sex' ? t('profile.sex') : i.title === 'birthday' ? t('profile.birthday') : i.title}</dt>
                    <dd dir="auto">{i.value}</dd>
                  </div>
                ))}
            </dl>
          )}
          {(info.policy === 'pass' || !info.policy) && (
            <input value={pass} onChange={(e) => setPass(e.target.value)} placeholder={t('add.pass')} aria-label={t('add.pass')} maxLength={64} autoComplete="off" data-testid="address-pass" />
          )}
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('add.notePlaceholder')} aria-label={t('common.note')} maxLength={256} data-testid="address-note" />
          <button type="submit" className="button primary" disabled={busy} data-testid="address-apply">
            {t(actionKey)}
          </button>
          {outcome && (
            <p className={outcome.kind === 'ok' ? 'ok-text' : 'form-error'} role="status" data-testid="address-result">
              {outcome.text}
            </p>
          )}
        </form>
      )}
    </div>
  );
}

function CreateGroup({ onDone }: { onDone: () => void }) {
  const t = useT();
  const store = useStore();
  const { me } = useAppState();
  const [name, setName] = useState('');
  const [nickname, setNickname] = useState('');
  const [kind, setKind] = useState<GroupKind>('group');
  const [policy, setPolicy] = useState('approve');
  const [pass, setPass] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const kindName = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const address = await store.createGroup({ name, kind, nickname, policy, pass });
      store.toast('info', 'create.done', { name: nickname.trim() || name.trim().toLowerCase(), address });
      store.openConversation(address);
      onDone();
    } catch (err) {
      setProblem(problemOf(err));
      setBusy(false);
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="create-form">
      <Field label={t('create.name')} hint={t('create.nameHint', { domain: domainOf(me?.address ?? '') })}>
        {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} maxLength={32} autoCapitalize="none" spellCheck={false} required data-testid="create-name" />}
      </Field>
      <Field label={t('create.displayName')}>
        {(id) => <input id={id} value={nickname} onChange={(e) => setNickname(e.target.value)} maxLength={64} data-testid="create-display-name" />}
      </Field>
      <fieldset className="field">
        <legend>{t('create.type')}</legend>
        <label className="radio">
          <input type="radio" name={kindName} checked={kind === 'group'} onChange={() => setKind('group')} data-testid="create-kind-group" />
          {t('create.group')}
        </label>
        <label className="radio">
          <input type="radio" name={kindName} checked={kind === 'channel'} onChange={() => setKind('channel')} data-testid="create-kind-channel" />
          {t('create.channel')}
        </label>
      </fieldset>
      <PolicyFields group policy={policy} setPolicy={setPolicy} pass={pass} setPass={setPass} />
      {problem && (
        <p className="form-error" role="alert" data-testid="create-problem">
          {problemText(t, problem)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="create-submit">
          {t('create.submit')}
        </button>
      </div>
    </form>
  );
}

const PUBLIC_FIELDS = ['mail', 'sex', 'birthday', 'synopsis'] as const;
const PUBLIC_LABELS: Record<(typeof PUBLIC_FIELDS)[number], Key> = { mail: 'profile.mail', sex: 'profile.sex', birthday: 'profile.birthday', synopsis: 'profile.sign' };

export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const store = useStore();
  const { me } = useAppState();
  const [fields, setFields] = useState({ nickname: me?.name ?? '', sex: me?.sex ?? '', birthday: me?.birthday ?? '', sign: me?.sign ?? '' });
  const [picture, setPicture] = useState<string | null>(null);
  const [publicFields, setPublic] = useState<string[] | null>(null);
  const [policy, setPolicy] = useState('approve');
  const [passKnown, setPassKnown] = useState(false);
  const [pass, setPass] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!me) return;
    store.accountInfo(me.address).then(
      (info) => {
        setPublic(info.info.map((i) => i.title));
        setPolicy(info.policy ?? 'approve');
        setPassKnown(info.policy === 'pass');
      },
      (err: unknown) => setProblem(problemOf(err)),
    );
  }, [store, me?.address]);

  if (!me) return null;
  const change = (key: keyof typeof fields) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [key]: e.target.value }));
  const pick = async (file: File | undefined) => {
    if (!file) return;
    try {
      setPicture(await pictureFromFile(file));
      setProblem(null);
    } catch (err) {
      setProblem({ key: err instanceof PictureError && err.reason === 'too-big' ? 'err.pictureTooBig' : 'err.picture' });
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await store.updateProfile({
        nickname: fields.nickname.trim(),
        sex: fields.sex,
        birthday: fields.birthday,
        sign: fields.sign,
        ...(picture !== null ? { picture } : {}),
        ...(publicFields ? { public: PUBLIC_FIELDS.filter((f) => publicFields.includes(f)) } : {}),
        policy,
        ...(pass ? { pass } : {}),
      });
      store.toast('info', 'profile.saved');
      onClose();
    } catch (err) {
      setProblem(problemOf(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={t('profile.title')} onClose={onClose} testId="profile-dialog" wide>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="picture-picker">
          <Avatar name={fields.nickname || me.account} picture={picture ?? me.picture} seed={me.address} size={72} />
          <div>
            <div className="sub" data-testid="profile-address">{me.address}</div>
            <label className="button small file-button">
              {t('auth.choosePicture')}
              <input type="file" accept="image/*" className="visually-hidden" onChange={(e) => void pick(e.target.files?.[0])} data-testid="profile-picture" />
            </label>
            <button type="button" className="button small ghost" onClick={() => void navigator.clipboard?.writeText(me.address).then(() => store.toast('info', 'profile.copied'), () => undefined)}>
              {t('profile.copyAddress')}
            </button>
          </div>
        </div>
        <Field label={t('auth.name')}>
          {(id) => <input id={id} value={fields.nickname} onChange={change('nickname')} maxLength={64} required data-testid="profile-name" />}
        </Field>
        <div className="field-row">
          <Field label={t('profile.sex')}>{(id) => <input id={id} value={fields.sex} onChange={change('sex')} maxLength={16} data-testid="profile-sex" />}</Field>
          <Field label={t('profile.birthday')}>{(id) => <input id={id} type={/^\d{4}-\d{2}-\d{2}$/.test(fields.birthday) || !fields.birthday ? 'date' : 'text'} value={fields.birthday} onChange={change('birthday')} maxLength={32} data-testid="profile-birthday" />}</Field>
        </div>
        <Field label={t('profile.sign')}>{(id) => <input id={id} value={fields.sign} onChange={change('sign')} maxLength={256} dir="auto" data-testid="profile-sign" />}</Field>
        <fieldset className="field">
          <legend>{t('profile.public')}</legend>
          {publicFields === null ? (
            <span className="muted">{t('profile.loading')}</span>
          ) : (
            <div className="checks">
              {PUBLIC_FIELDS.map((f) => (
                <label key={f} className="radio">
                  <input type="checkbox" checked={publicFields.includes(f)} onChange={(e) => setPublic((list) => (e.target.checked ? [...(list ?? []), f] : (list ?? []).filter((x) => x !== f)))} data-testid={`public-${f}`} />
                  {t(PUBLIC_LABELS[f])}
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <PolicyFields policy={policy} setPolicy={setPolicy} pass={pass} setPass={setPass} passKnown={passKnown} />
        {problem && (
          <p className="form-error" role="alert" data-testid="profile-problem">
            {problemText(t, problem)}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || publicFields === null} data-testid="profile-save">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
