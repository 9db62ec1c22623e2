import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { ChatStore, AppState } from '../app/store.js';
import { translate, type Key, type Vars } from '../i18n.js';
import type { Problem } from '../app/errors.js';

export const StoreContext = createContext<ChatStore | null>(null);

export function useStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('no store');
  return store;
}

export function useAppState(): AppState {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, store.getState);
}

export type T = (key: Key, vars?: Vars) => string;

export function useT(): T {
  const { lang } = useAppState();
  return useCallback((key: Key, vars?: Vars) => translate(lang, key, vars), [lang]);
}

/** A problem as one line of text, with its protocol code so reports are precise. */
export function problemText(t: T, problem: Problem): string {
  const text = t(problem.key, problem.vars);
  return problem.code !== undefined && problem.code !== '' ? `${text} [${problem.code}]` : text;
}
