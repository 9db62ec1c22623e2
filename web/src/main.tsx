import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadSettings } from './app/settings.js';
import { ChatStore } from './app/store.js';
import { StoreContext } from './ui/context.js';
import { App } from './ui/App.js';
import './styles.css';

await loadSettings();
const store = new ChatStore();
store.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
