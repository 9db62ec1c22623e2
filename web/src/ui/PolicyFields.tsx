import { useId } from 'react';
import { useT } from './context.js';

/** Join policy (open / approve / pass) and, for `pass`, the pass code. */
export function PolicyFields({ group, policy, setPolicy, pass, setPass, passKnown }: { group?: boolean; policy: string; setPolicy: (p: string) => void; pass: string; setPass: (p: string) => void; passKnown?: boolean }) {
  const t = useT();
  const name = useId();
  const passId = useId();
  const options: Array<[string, string]> = group
    ? [['open', t('policy.groupOpen')], ['approve', t('policy.groupApprove')], ['pass', t('policy.groupPass')]]
    : [['open', t('policy.open')], ['approve', t('policy.approve')], ['pass', t('policy.pass')]];
  return (
    <fieldset className="field policy">
      <legend>{group ? t('create.policy') : t('profile.policy')}</legend>
      {options.map(([value, label]) => (
        <label key={value} className="radio">
          <input type="radio" name={name} value={value} checked={policy === value} onChange={() => setPolicy(value)} data-testid={`policy-${value}`} />
          {label}
        </label>
      ))}
      {policy === 'pass' && (
        <div className="field">
          <label htmlFor={passId}>{t('policy.pass.code')}</label>
          <input id={passId} value={pass} onChange={(e) => setPass(e.target.value)} maxLength={64} required={!passKnown} autoComplete="off" placeholder={passKnown ? t('policy.pass.keep') : ''} data-testid="policy-pass-code" />
        </div>
      )}
    </fieldset>
  );
}
