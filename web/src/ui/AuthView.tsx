import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { PictureError, pictureFromFile } from '../lib/picture.js';
import { Avatar } from './Avatar.js';
import { problemText, useAppState, useStore, useT } from './context.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import type { Problem } from '../app/errors.js';

export function AuthView() {
  const t = useT();
  const { authProblem } = useAppState();
  const [tab, setTab] = useState<'login' | 'register'>('login');
  return (
    <main className="auth" data-testid="auth-view">
      <div className="auth-card">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">m</span>
          <div>
            <h1>{t('app.name')}</h1>
            <p className="muted">{t('app.tagline')}</p>
          </div>
        </div>
        <div className="tabs" role="tablist" aria-label={t('app.name')}>
          <button type="button" role="tab" id="tab-login" aria-selected={tab === 'login'} aria-controls="panel-auth" className="tab" onClick={() => setTab('login')} data-testid="tab-login">
            {t('auth.login')}
          </button>
          <button type="button" role="tab" id="tab-register" aria-selected={tab === 'register'} aria-controls="panel-auth" className="tab" onClick={() => setTab('register')} data-testid="tab-register">
            {t('auth.register')}
          </button>
        </div>
        <div id="panel-auth" role="tabpanel" aria-labelledby={`tab-${tab}`}>
          {tab === 'login' ? <LoginForm /> : <RegisterForm />}
        </div>
        {authProblem && (
          <p className="form-error" role="alert" data-testid="auth-error">
            {problemText(t, authProblem)}
          </p>
        )}
        <div className="auth-footer">
          <LanguageSwitch />
        </div>
      </div>
    </main>
  );
}

function Field({ label, hint, optional, children }: { label: string; hint?: string; optional?: boolean; children: (id: string) => ReactNode }) {
  const id = useId();
  const t = useT();
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {optional && <span className="muted"> · {t('auth.optional')}</span>}
      </label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

function LoginForm() {
  const t = useT();
  const store = useStore();
  const { busy } = useAppState();
  const [account, setAccount] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.login(account, password);
  };
  return (
    <form className="form" onSubmit={submit} data-testid="login-form">
      <Field label={t('auth.account')}>
        {(id) => <input id={id} value={account} onChange={(e) => setAccount(e.target.value)} autoComplete="username" autoCapitalize="none" spellCheck={false} required autoFocus data-testid="login-account" />}
      </Field>
      <Field label={t('auth.password')}>
        {(id) => <input id={id} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required data-testid="login-password" />}
      </Field>
      <button type="submit" className="button primary block" disabled={busy} data-testid="login-submit">
        {busy ? t('auth.loggingIn') : t('auth.login')}
      </button>
    </form>
  );
}

function RegisterForm() {
  const t = useT();
  const store = useStore();
  const { busy } = useAppState();
  const [fields, setFields] = useState({ account: '', password: '', mail: '', name: '', sex: '', birthday: '', sign: '' });
  const [picture, setPicture] = useState('');
  const [pictureProblem, setPictureProblem] = useState<Problem | null>(null);
  const change = (key: keyof typeof fields) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.register({ ...fields, account: fields.account.trim().toLowerCase(), name: fields.name.trim(), picture });
  };
  const pick = async (file: File | undefined) => {
    setPictureProblem(null);
    if (!file) return;
    try {
      setPicture(await pictureFromFile(file));
    } catch (err) {
      setPictureProblem({ key: err instanceof PictureError && err.reason === 'too-big' ? 'err.pictureTooBig' : 'err.picture' });
    }
  };
  return (
    <form className="form" onSubmit={submit} data-testid="register-form">
      <div className="picture-picker">
        <Avatar name={fields.name || fields.account || '?'} picture={picture} seed={fields.account} size={64} />
        <div>
          <label className="button small file-button">
            {t('auth.choosePicture')}
            <input type="file" accept="image/*" className="visually-hidden" onChange={(e) => void pick(e.target.files?.[0])} data-testid="register-picture" />
          </label>
          {picture && (
            <button type="button" className="button small ghost" onClick={() => setPicture('')}>
              {t('auth.removePicture')}
            </button>
          )}
          {pictureProblem && <p className="form-error" role="alert">{problemText(t, pictureProblem)}</p>}
        </div>
      </div>
      <Field label={t('auth.account')} hint={t('auth.accountHint')}>
        {(id) => <input id={id} value={fields.account} onChange={change('account')} autoComplete="username" autoCapitalize="none" spellCheck={false} maxLength={32} required autoFocus data-testid="register-account" />}
      </Field>
      <Field label={t('auth.password')}>
        {(id) => <input id={id} type="password" value={fields.password} onChange={change('password')} autoComplete="new-password" maxLength={256} required data-testid="register-password" />}
      </Field>
      <Field label={t('auth.mail')}>
        {(id) => <input id={id} type="email" value={fields.mail} onChange={change('mail')} autoComplete="email" maxLength={254} required data-testid="register-mail" />}
      </Field>
      <Field label={t('auth.name')} optional>
        {(id) => <input id={id} value={fields.name} onChange={change('name')} autoComplete="nickname" maxLength={64} data-testid="register-name" />}
      </Field>
      <details className="more">
        <summary>{t('auth.more')}</summary>
        <Field label={t('profile.sex')} optional>
          {(id) => <input id={id} value={fields.sex} onChange={change('sex')} maxLength={16} data-testid="register-sex" />}
        </Field>
        <Field label={t('profile.birthday')} optional>
          {(id) => <input id={id} type="date" value={fields.birthday} onChange={change('birthday')} data-testid="register-birthday" />}
        </Field>
        <Field label={t('profile.sign')} optional>
          {(id) => <input id={id} value={fields.sign} onChange={change('sign')} maxLength={256} data-testid="register-sign" />}
        </Field>
      </details>
      <button type="submit" className="button primary block" disabled={busy} data-testid="register-submit">
        {busy ? t('auth.creating') : t('auth.register')}
      </button>
    </form>
  );
}
