import { useId } from 'react';
import { isLang } from '../i18n.js';
import { useAppState, useStore, useT } from './context.js';
import { Icon } from './icons.js';

export function LanguageSwitch() {
  const t = useT();
  const store = useStore();
  const { lang } = useAppState();
  const id = useId();
  return (
    <div className="language">
      <label htmlFor={id} title={t('lang.label')}>
        <Icon name="globe" size={18} label={t('lang.label')} />
      </label>
      <select id={id} value={lang} onChange={(e) => isLang(e.target.value) && store.setLang(e.target.value)} data-testid="language">
        <option value="en">{t('lang.en')}</option>
        <option value="zh">{t('lang.zh')}</option>
      </select>
    </div>
  );
}
