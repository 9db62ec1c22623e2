import { useEffect, useRef, type ReactNode } from 'react';
import { Icon } from './icons.js';
import { useT } from './context.js';

/**
 * A modal dialog on the native <dialog> element: focus moves into it and stays there,
 * Escape closes it, and the page behind is inert.
 */
export function Modal({ title, onClose, children, testId, wide }: { title: string; onClose: () => void; children: ReactNode; testId?: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const t = useT();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' modal-wide' : ''}`}
      data-testid={testId}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      <div className="modal-body">
        <header className="modal-header">
          <h2>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')} data-testid="modal-close">
            <Icon name="close" />
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}

export function Confirm({ text, confirmLabel, onConfirm, onCancel, danger }: { text: string; confirmLabel: string; onConfirm: () => void; onCancel: () => void; danger?: boolean }) {
  const t = useT();
  return (
    <Modal title={confirmLabel} onClose={onCancel} testId="confirm-dialog">
      <p className="confirm-text">{text}</p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" className={`button ${danger ? 'danger' : 'primary'}`} onClick={onConfirm} data-testid="confirm-ok" autoFocus>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
