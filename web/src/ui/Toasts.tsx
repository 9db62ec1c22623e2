import { useAppState, useStore, useT } from './context.js';
import { Icon } from './icons.js';

export function Toasts() {
  const t = useT();
  const store = useStore();
  const { toasts } = useAppState();
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast ${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'} title={toast.detail} data-testid={`toast-${toast.kind}`}>
          <span dir="auto">
            {t(toast.key, toast.vars)}
            {toast.code !== undefined && ` [${toast.code}]`}
          </span>
          <button type="button" className="icon-button" onClick={() => store.dismiss(toast.id)} aria-label={t('common.dismiss')}>
            <Icon name="close" size={16} />
          </button>
        </div>
      ))}
    </div>
  );
}
