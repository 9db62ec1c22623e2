import type { Key, Vars } from '../i18n.js';
import type { Problem } from './errors.js';
import type { StateCell, Toast } from './state.js';

/** Short-lived messages in a corner; only the last few stay, so a burst cannot bury the page. */
export class Notices {
  private toastId = 0;

  constructor(private readonly cell: StateCell) {}

  toast(kind: Toast['kind'], key: Key, vars?: Vars, problem?: Problem): void {
    const id = ++this.toastId;
    const toast: Toast = { id, kind, key, vars, code: problem?.code, detail: problem?.detail };
    this.cell.set((s) => ({ toasts: [...s.toasts.slice(-3), toast] }));
    setTimeout(() => this.dismiss(id), kind === 'error' ? 10_000 : 6_000);
  }

  fail(problem: Problem): void {
    this.toast('error', problem.key, problem.vars, problem);
  }

  dismiss(id: number): void {
    if (this.cell.state.toasts.some((t) => t.id === id)) this.cell.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  }
}
