// monami interim chat client: plain ES module, no build step, no dependencies.
// Rule of the file: user-supplied text (names, notes, signs, payloads) only ever
// reaches the DOM as text nodes / textContent (see el()), never as HTML.

const $ = (id) => document.getElementById(id);
const STORE_KEY = 'monami.session';
const ACK_TIMEOUT_MS = 15000;
const MAX_HISTORY = 1000; // per conversation, memory only
const ACCOUNT_RE = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
const narrow = window.matchMedia('(max-width: 640px)');

// Friendlier wording for protocol codes; the server's own message is the fallback.
const CODE_TEXT = {
  0: 'Could not reach the server.', 403: 'The server did not understand the request.',
  501: 'Please enter an account name.', 502: 'Please enter a password.', 503: 'Please enter a mail address.',
  504: 'This account name is already taken.', 505: 'Wrong account or password.',
  506: 'The message had no id.', 507: 'The message could not be delivered to your friend.',
  508: 'Your friend is offline, so the message was not delivered.', 510: 'The message had no recipient.',
  511: 'The message is empty.', 512: 'You are not friends with this person.',
  513: 'You logged in from another place, so this session was closed.',
  514: 'Login information is missing; please log in again.',
  515: 'Your session is no longer valid; please log in again.', 516: 'Please type a name to search for.',
  517: 'Your account id is missing; please log in again.', 519: 'No person was selected.',
  521: 'Please give your new friend a name.', 522: 'You are already friends.',
  523: 'This person does not exist any more.',
  530: 'Account names use a-z, 0-9, _ . - and start with a letter or digit (at most 32).',
  531: 'One of the fields is too long.', 532: 'Too many attempts; please wait a moment and try again.',
  533: 'You cannot befriend yourself.',
};

/** Readable text for a failed answer, with the code so bug reports are precise. */
function describe(res) {
  const text = CODE_TEXT[res.code] || res.message || 'Something went wrong.';
  return res.code ? `${text} [${res.code}]` : text;
}

const state = {
  session: null,       // {account, id, token} — also in localStorage; never the password
  profile: null,
  friends: new Map(),  // friend id -> friend
  requests: new Map(), // requester id -> pending request to me
  convs: new Map(),    // friend id -> [message]; live only, lost on reload
  unread: new Map(),   // friend id -> count
  active: null,        // friend id of the open conversation
  pending: new Map(),  // my message id -> message awaiting its ack
  ws: null,
  loggedIn: false,     // the current socket's first frame was a success
  closing: false,      // we are closing (or have given up on) the current socket
  kicked: false,       // server sent 513 on the current socket
  retry: 0,
  retryTimer: 0,
};
let chosenPicture = ''; // "img/base64:..." picked in the register form
const requestEls = new Map(); // requester id -> <li>, kept so a typed alias survives re-renders

// ---------- DOM helpers ----------

/** Build an element. String children become text nodes, so they are never parsed as HTML. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'onclick') node.addEventListener('click', value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value); // data-*, aria-*
  }
  node.append(...children.filter((c) => c != null && c !== false));
  return node;
}

const setText = (id, text) => { $(id).textContent = text || ''; };
const fieldValue = (id) => $(id).value.trim();
const displayName = (p) => (p && (p.name || p.account)) || 'Unnamed';

/** "img/base64:<b64>" -> data: URL, or null for anything else (then we draw an initial). */
function pictureUrl(picture) {
  if (typeof picture !== 'string' || !picture.startsWith('img/base64:')) return null;
  const b64 = picture.slice('img/base64:'.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  // Sniff the type from the first bytes so PNG/GIF/WebP pictures render correctly too.
  const mime = b64.startsWith('iVBOR') ? 'image/png' : b64.startsWith('R0lG') ? 'image/gif'
    : b64.startsWith('UklGR') ? 'image/webp' : 'image/jpeg';
  return `data:${mime};base64,${b64}`;
}

function fillAvatar(node, picture, name, key) {
  const initial = () => (Array.from(String(name || '').trim())[0] || '?').toUpperCase();
  let hash = 0;
  for (const ch of String(key || name || '')) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  node.style.setProperty('--hue', String(hash));
  const url = pictureUrl(picture);
  if (!url) return node.replaceChildren(initial());
  const img = el('img', { src: url, alt: '' });
  img.addEventListener('error', () => node.replaceChildren(initial()));
  node.replaceChildren(img);
}

function avatar(person, withDot = false) {
  const node = el('span', { class: 'avatar', 'aria-hidden': 'true' });
  fillAvatar(node, person.picture, displayName(person), person.id);
  if (!withDot) return node;
  const dot = el('span', { class: `dot ${person.online ? 'on' : 'off'}`, 'data-testid': 'online-dot',
    title: person.online ? 'Online' : 'Offline' });
  return el('span', { class: 'avatar-wrap' }, node, dot);
}

/** Avatar + name + optional second line (sign or note), as used by every list. */
function personRow(p, sub, withDot = false) {
  return el('span', { class: 'item-row' }, avatar(p, withDot),
    el('span', { class: 'item-text' }, el('span', { class: 'name', dir: 'auto' }, displayName(p)),
      sub ? el('span', { class: 'sub', dir: 'auto' }, sub) : null));
}

const fmtTime = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Unique message id; crypto.randomUUID only exists on https/localhost, so fall back. */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------- session storage ----------

// Only {account, id, token} is kept, never the password. Storage may throw in private modes.
function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE_KEY));
    return s && s.account && s.id && s.token ? s : null;
  } catch { return null; }
}
function saveSession({ account, id, token }) {
  try { localStorage.setItem(STORE_KEY, JSON.stringify({ account, id, token })); } catch { /* not saved */ }
}
function clearSession() {
  try { localStorage.removeItem(STORE_KEY); } catch { /* nothing to clear */ }
}

// ---------- HTTP ----------

/** Every answer is HTTP 200 + JSON {code, ok, message}; network trouble becomes code 0. */
async function readJSON(promise) {
  try {
    const body = await (await promise).json();
    if (body && typeof body === 'object') return body;
  } catch { /* fall through */ }
  return { ok: false, code: 0, message: 'Network error' };
}

function api(path, params) {
  const query = new URLSearchParams({ id: state.session.id, token: state.session.token, ...params });
  return readJSON(fetch(`/im/${path}?${query}`, { cache: 'no-store' }));
}

// ---------- views ----------

function showView(name) {
  $('boot').hidden = name !== 'boot';
  $('auth-view').hidden = name !== 'auth';
  $('app-view').hidden = name !== 'app';
}

function showTab(tab) {
  for (const t of ['login', 'register']) {
    $(`${t}-form`).hidden = tab !== t;
    $(`tab-${t}`).setAttribute('aria-selected', String(tab === t));
  }
}

/** Show a login problem and let the user try again. */
function loginFailed(text) {
  setText('login-error', text);
  $('login-submit').disabled = $('register-submit').disabled = false;
}

/** Back to the login form; `resumable` offers to retry the saved token (e.g. server was down). */
function showAuth({ account = '', error = '', resumable = false } = {}) {
  showView('auth');
  showTab('login');
  if (account) $('login-account').value = account;
  loginFailed(error);
  $('resume').hidden = !resumable;
  if (resumable) setText('resume-text', `Saved session for ${account}.`);
}

function showStatus(text, action = null, kind = 'info') {
  setText('status-text', text);
  const button = $('status-action');
  button.hidden = !action;
  if (action) { button.textContent = action.label; button.onclick = action.run; }
  $('status-bar').dataset.kind = kind;
  $('status-bar').hidden = false;
}
const hideStatus = () => { $('status-bar').hidden = true; };

function setConn(s) {
  $('conn-dot').dataset.state = s;
  $('conn-dot').title = { online: 'Connected', connecting: 'Connecting…', offline: 'Disconnected' }[s];
}

function updateTitle() {
  let n = 0;
  for (const c of state.unread.values()) n += c;
  document.title = n ? `(${n}) monami` : 'monami';
}

// ---------- WebSocket session ----------

/**
 * Open the login socket. mode: 'password' (login form), 'token' (page load with saved token)
 * or 'reconnect' (lost connection while chatting). Only the current socket may change state.
 */
function connect(params, mode) {
  clearTimeout(state.retryTimer);
  if (state.ws) { state.closing = true; state.ws.close(); }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/im/login?${new URLSearchParams(params)}`);
  Object.assign(state, { ws, loggedIn: false, closing: false, kicked: false });
  if (mode === 'reconnect') setConn('connecting');
  ws.onmessage = (event) => {
    if (ws !== state.ws) return;
    let frame;
    try { frame = JSON.parse(event.data); } catch { return console.warn('monami: non-JSON frame', event.data); }
    if (!frame || typeof frame !== 'object') return;
    if (state.loggedIn) onFrame(frame);
    else onFirstFrame(frame, params, mode);
  };
  ws.onclose = () => { if (ws === state.ws) onClosed(params, mode); };
}

function onFirstFrame(frame, params, mode) {
  if (frame.ok === true && frame.token && frame.profile && frame.profile.id) {
    state.loggedIn = true;
    state.retry = 0;
    state.session = { account: frame.profile.account || params.account, id: frame.profile.id, token: frame.token };
    saveSession(state.session);
    applyLogin(frame);
    return;
  }
  // Failed login: the server closes the socket itself; make sure onClosed stays quiet.
  state.closing = true;
  state.ws.close();
  if (mode === 'password') loginFailed(describe(frame));
  else if (frame.code === 505) { // saved token no longer accepted
    resetData();
    clearSession();
    state.session = null;
    showAuth({ account: params.account, error: `Your saved session has expired; please log in again. [505]` });
  } else if (mode === 'reconnect') scheduleReconnect(describe(frame)); // e.g. 532: keep the chat, retry later
  else {
    resetData();
    showAuth({ account: params.account, error: describe(frame), resumable: true });
  }
}

function onClosed(params, mode) {
  if (state.closing) return;
  if (!state.loggedIn) { // closed before any frame: server unreachable
    if (mode === 'password') loginFailed(CODE_TEXT[0]);
    else if (mode === 'token') showAuth({ account: params.account, error: CODE_TEXT[0], resumable: true });
    else scheduleReconnect();
    return;
  }
  failPending('connection lost');
  setConn('offline');
  for (const f of state.friends.values()) f.online = false; // unknown until we are back
  renderFriends();
  if (state.active) renderConvHeader();
  if (state.kicked) showStatus(CODE_TEXT[513], { label: 'Reconnect', run: reconnectNow }, 'error');
  else scheduleReconnect();
}

/** Back off 1, 2, 4 … 30 s so a restarting server is not hammered. */
function scheduleReconnect(reason = 'Connection lost.') {
  const delay = Math.min(30, 2 ** state.retry);
  state.retry += 1;
  setConn('offline');
  showStatus(`${reason} Reconnecting in ${delay} s…`, { label: 'Reconnect now', run: reconnectNow }, 'error');
  state.retryTimer = setTimeout(reconnectNow, delay * 1000);
}

function reconnectNow() {
  if (!state.session) return;
  showStatus('Reconnecting…', null, 'info');
  connect({ account: state.session.account, token: state.session.token }, 'reconnect');
}

function applyLogin(frame) {
  if (state.profile && state.profile.id !== frame.profile.id) resetData(); // different account
  state.profile = frame.profile;
  state.friends = new Map((frame.friends || []).filter((f) => f && f.id).map((f) => [f.id, f]));
  state.requests = new Map((frame.requests || []).filter((r) => r && r.id).map((r) => [r.id, r]));
  $('login-password').value = '';
  $('register-form').reset();
  chosenPicture = '';
  fillAvatar($('register-picture-preview'), '', '?', '');
  fillAvatar($('me-avatar'), state.profile.picture, displayName(state.profile), state.profile.id);
  setText('me-name', displayName(state.profile));
  setText('me-address', state.profile.address || state.profile.account || '');
  setConn('online');
  hideStatus();
  showView('app');
  if (state.active && !state.friends.has(state.active)) state.active = null;
  renderFriends();
  renderRequests();
  renderConversation();
}

function resetData() {
  for (const msg of state.pending.values()) clearTimeout(msg.timer);
  Object.assign(state, { profile: null, active: null });
  for (const key of ['friends', 'requests', 'convs', 'unread', 'pending']) state[key].clear();
  requestEls.clear();
  for (const id of ['friend-list', 'request-list', 'search-results']) $(id).replaceChildren();
  $('search-input').value = '';
  setText('search-error', '');
  hideStatus();
  updateTitle();
}

function logout() {
  // Revoke the token on the server too, so a copy of it left anywhere stops working.
  if (state.session) api('logout', {});
  clearTimeout(state.retryTimer);
  if (state.ws) { state.closing = true; state.ws.close(); state.ws = null; }
  const account = state.session ? state.session.account : '';
  clearSession();
  state.session = null;
  resetData();
  showAuth({ account });
}

// ---------- frames pushed by the server ----------

function onFrame(f) {
  if (f.code === undefined && f.from && typeof f.payload === 'string') return receiveDialogue(f);
  if (f.code !== 302 && f.id != null && state.pending.has(String(f.id))) return ackDialogue(f);
  switch (f.code) {
    case 520: return addRequest(f.request);
    case 301: case 300: return upsertFriend(f.friend);
    case 1004: return relationDeleted(f.from);
    case 302: return pushMessage(f.to, { id: f.id, mine: true, text: String(f.payload ?? ''), state: 'sent' });
    case 513: state.kicked = true; return showStatus(describe(f), null, 'error');
    default: if (f.ok === false) showStatus(describe(f), null, 'error');
  }
}

function receiveDialogue(f) {
  const from = String(f.from);
  pushMessage(from, { id: f.id, mine: false, text: f.payload, state: 'received' });
  if (state.active === from || !state.friends.has(from)) return; // badges only for other listed friends
  state.unread.set(from, (state.unread.get(from) || 0) + 1);
  renderFriends();
}

function ackDialogue(f) {
  const msg = state.pending.get(String(f.id));
  state.pending.delete(String(f.id));
  clearTimeout(msg.timer);
  if (f.ok === true) setMsgState(msg, 'delivered');
  else setMsgState(msg, 'failed', f.message || describe(f), describe(f));
}

function addRequest(r) {
  if (!r || !r.id) return;
  state.requests.set(r.id, r);
  renderRequests();
}

function upsertFriend(friend) {
  if (!friend || !friend.id) return;
  const isNew = !state.friends.has(friend.id);
  state.friends.set(friend.id, { ...state.friends.get(friend.id), ...friend });
  // A friendship event for someone who had asked me means the request is settled.
  if (state.requests.delete(friend.id)) renderRequests();
  if (isNew) showStatus(`${displayName(friend)} is now your friend.`);
  renderFriends();
  if (state.active === friend.id) renderConvHeader();
}

function relationDeleted(id) {
  const wasFriend = state.friends.get(id);
  dropRelation(id);
  if (wasFriend) showStatus(`${displayName(wasFriend)} is no longer your friend.`);
}

function dropRelation(id) {
  state.friends.delete(id);
  state.requests.delete(id);
  state.unread.delete(id);
  if (state.active === id) closeConversation();
  renderFriends();
  renderRequests();
}

// ---------- messages ----------

function pushMessage(friendId, msg) {
  if (!friendId) return;
  msg.id = String(msg.id ?? newId());
  msg.time = new Date();
  if (!state.convs.has(friendId)) state.convs.set(friendId, []);
  const list = state.convs.get(friendId);
  list.push(msg);
  if (list.length > MAX_HISTORY) list.shift();
  if (state.active === friendId) appendBubble(msg);
}

function sendDialogue(text) {
  const friendId = state.active;
  if (!friendId || !state.friends.has(friendId)) return false;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN || !state.loggedIn) {
    setText('composer-error', 'Not connected to the server; please wait until the connection is back.');
    return false;
  }
  const msg = { id: newId(), mine: true, text, state: 'sending' };
  state.pending.set(msg.id, msg);
  pushMessage(friendId, msg);
  state.ws.send(JSON.stringify({ id: msg.id, toFriend: friendId, payload: text }));
  // No answer at all is shown as failed; a late ack still flips it to delivered.
  msg.timer = setTimeout(() => {
    if (msg.state === 'sending') setMsgState(msg, 'failed', 'no answer from the server');
  }, ACK_TIMEOUT_MS);
  return true;
}

function setMsgState(msg, s, reason = '', hint = '') {
  Object.assign(msg, { state: s, reason, hint });
  if (msg.el) updateBubble(msg);
}

function failPending(reason) {
  for (const msg of state.pending.values()) { clearTimeout(msg.timer); setMsgState(msg, 'failed', reason); }
  state.pending.clear();
}

function bubble(msg) {
  msg.el = el('div', { class: `msg ${msg.mine ? 'mine' : 'theirs'}`, dir: 'auto',
    'data-testid': 'message', 'data-msg-id': msg.id },
  el('div', { class: 'msg-text', dir: 'auto' }, msg.text),
  el('div', { class: 'msg-meta', 'data-testid': 'message-meta' }));
  updateBubble(msg);
  return msg.el;
}

function updateBubble(msg) {
  msg.el.dataset.state = msg.state;
  const label = { sending: 'sending…', delivered: 'delivered', sent: 'sent from another device',
    failed: `failed: ${msg.reason}`, received: '' }[msg.state];
  msg.el.lastChild.textContent = label ? `${fmtTime(msg.time)} · ${label}` : fmtTime(msg.time);
  msg.el.title = msg.state === 'failed' ? msg.hint || msg.reason : '';
}

function appendBubble(msg) {
  const list = $('message-list');
  // Follow the conversation only if the reader was already at the bottom (or it's mine).
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  list.append(bubble(msg));
  if (atBottom || msg.mine) list.scrollTop = list.scrollHeight;
}

// ---------- rendering: friends, requests, search ----------

function renderFriends() {
  const list = $('friend-list');
  const focused = document.activeElement?.closest('#friend-list [data-id]')?.dataset.id;
  const friends = [...state.friends.values()].sort((a, b) =>
    (Number(!!b.online) - Number(!!a.online)) || displayName(a).localeCompare(displayName(b)));
  list.replaceChildren(...friends.map(friendItem));
  $('friends-empty').hidden = friends.length > 0;
  if (focused) list.querySelector(`[data-id="${CSS.escape(focused)}"]`)?.focus(); // keep keyboard focus
  updateTitle();
}

function friendItem(f) {
  const unread = state.unread.get(f.id) || 0;
  return el('li', { class: f.id === state.active ? 'item active' : 'item' },
    el('button', { type: 'button', class: 'item-btn', 'data-testid': 'friend-item', 'data-id': f.id,
      'data-online': String(!!f.online), onclick: () => openConversation(f.id) },
    personRow(f, f.sign, true),
    unread ? el('span', { class: 'badge', 'data-testid': 'unread-badge', title: `${unread} unread` }, String(unread))
      : null));
}

function renderRequests() {
  for (const [id, node] of requestEls) if (!state.requests.has(id)) { node.remove(); requestEls.delete(id); }
  for (const r of state.requests.values()) {
    if (!requestEls.has(r.id)) $('request-list').append(requestEls.set(r.id, requestItem(r)).get(r.id));
  }
  $('requests-section').hidden = state.requests.size === 0;
  setText('requests-count', String(state.requests.size));
}

function requestItem(r) {
  const alias = el('input', { class: 'alias', value: r.name || '', 'data-testid': 'request-alias',
    'aria-label': 'Name to show for this friend', placeholder: 'Name for this friend' });
  const error = el('p', { class: 'error', 'data-testid': 'request-error', role: 'alert' });
  const accept = el('button', { type: 'button', class: 'primary small', 'data-testid': 'request-accept' }, 'Accept');
  const decline = el('button', { type: 'button', class: 'ghost small', 'data-testid': 'request-decline' }, 'Decline');

  async function answer(path, params) {
    accept.disabled = decline.disabled = true;
    const res = await api(path, params);
    accept.disabled = decline.disabled = false;
    return res;
  }
  accept.addEventListener('click', async () => {
    const name = alias.value.trim();
    if (!name) return (error.textContent = CODE_TEXT[521]);
    const res = await answer('friends/add', { from: r.id, name });
    if (!res.ok && res.code !== 522 && res.code !== 523) return (error.textContent = describe(res));
    if (!res.ok) showStatus(describe(res));
    state.requests.delete(r.id);
    // The server's 301 push brings the full profile and presence; show the friend right away.
    if (res.ok && !state.friends.has(r.id)) {
      state.friends.set(r.id, { id: r.id, name, picture: '', sign: '', online: false });
    }
    renderRequests();
    renderFriends();
  });
  decline.addEventListener('click', async () => {
    const res = await answer('friends/remove', { to: r.id });
    if (!res.ok && res.code !== 512) return (error.textContent = describe(res)); // 512: already gone
    dropRelation(r.id);
  });

  return el('li', { class: 'item request', 'data-testid': 'request-item', 'data-id': r.id },
    personRow(r, r.note),
    el('div', { class: 'row' }, alias, accept, decline),
    error);
}

async function search(event) {
  event.preventDefault();
  const q = $('search-input').value.trim();
  setText('search-error', '');
  if (!q) { $('search-results').replaceChildren(); return setText('search-error', CODE_TEXT[516]); }
  $('search-button').disabled = true;
  const res = await api('friends/found', { name: q });
  $('search-button').disabled = false;
  if (!res.ok) return setText('search-error', describe(res));
  const found = (res.found || []).filter((p) => p && p.id);
  $('search-results').replaceChildren(...(found.length ? found.map(searchItem)
    : [el('li', { class: 'hint', 'data-testid': 'search-empty' }, 'Nobody found with that name.')]));
}

function searchItem(p) {
  const note = el('input', { class: 'note', placeholder: 'Say hello (optional)', 'data-testid': 'request-note',
    'aria-label': 'Note with your friend request' });
  const status = el('p', { class: 'error', 'data-testid': 'search-item-status', role: 'status' });
  const send = el('button', { type: 'button', class: 'primary small', 'data-testid': 'send-request' }, 'Add friend');
  send.addEventListener('click', async () => {
    send.disabled = true;
    const res = await api('friends/request', { to: p.id, note: note.value.trim() });
    status.className = res.ok ? 'ok' : 'error';
    status.textContent = res.ok ? 'Request sent.' : describe(res);
    if (res.ok) send.textContent = 'Sent';
    else send.disabled = false;
  });
  let action = el('div', { class: 'row' }, note, send);
  if (state.session && p.id === state.session.id) action = el('p', { class: 'hint' }, 'This is you.');
  else if (state.friends.has(p.id)) action = el('p', { class: 'hint' }, 'Already your friend.');
  return el('li', { class: 'item result', 'data-testid': 'search-result', 'data-id': p.id },
    personRow(p, p.sign), action, status);
}

// ---------- conversation pane ----------

const convHint = $('message-list').firstElementChild; // the "live only" note, kept on top

function openConversation(id) {
  state.active = id;
  state.unread.delete(id);
  renderFriends();
  renderConversation();
  if (!narrow.matches) $('message-input').focus(); // don't pop the phone keyboard uninvited
}

function closeConversation() {
  state.active = null;
  renderConversation();
  renderFriends();
}

function renderConversation() {
  const friend = state.friends.get(state.active);
  $('conv-empty').hidden = !!friend;
  $('conv-main').hidden = !friend;
  $('app-view').classList.toggle('show-conv', !!friend);
  $('remove-bar').hidden = true;
  setText('conv-error', '');
  setText('composer-error', '');
  if (!friend) return;
  renderConvHeader();
  const list = $('message-list');
  list.replaceChildren(convHint, ...(state.convs.get(friend.id) || []).map(bubble));
  list.scrollTop = list.scrollHeight;
  autosize();
}

function renderConvHeader() {
  const f = state.friends.get(state.active);
  if (!f) return;
  fillAvatar($('conv-avatar'), f.picture, displayName(f), f.id);
  setText('conv-name', displayName(f));
  setText('conv-status', [f.online ? 'online' : 'offline', f.sign].filter(Boolean).join(' · '));
  $('conv-status').dataset.online = String(!!f.online);
  // Dialogues are live only, so say up front when they cannot arrive.
  $('message-input').placeholder = f.online ? `Message ${displayName(f)}` : `${displayName(f)} is offline`;
}

async function removeActiveFriend() {
  const f = state.friends.get(state.active);
  if (!f) return;
  $('remove-confirm').disabled = true;
  const res = await api('friends/remove', { to: f.id });
  $('remove-confirm').disabled = false;
  if (!res.ok && res.code !== 512) return setText('conv-error', describe(res)); // 512: already gone
  dropRelation(f.id);
  showStatus(`${displayName(f)} was removed from your friends.`);
}

function submitMessage(event) {
  event.preventDefault();
  const input = $('message-input');
  const text = input.value.replace(/^\n+|\n+$/g, '');
  if (!text.trim()) return;
  setText('composer-error', '');
  if (sendDialogue(text)) {
    input.value = '';
    autosize();
  }
}

function autosize() {
  const input = $('message-input');
  input.style.height = 'auto';
  const borders = input.offsetHeight - input.clientHeight; // scrollHeight excludes them
  input.style.height = `${Math.min(input.scrollHeight + borders, 160)}px`;
}

// ---------- auth forms ----------

function login(event) {
  event.preventDefault();
  const account = $('login-account').value.trim();
  const password = $('login-password').value;
  if (!account) return setText('login-error', CODE_TEXT[501]);
  if (!password) return setText('login-error', CODE_TEXT[502]);
  setText('login-error', '');
  $('resume').hidden = true;
  $('login-submit').disabled = true;
  connect({ account, password }, 'password');
}

function validateRegistration(body) {
  if (!body.account) return CODE_TEXT[501];
  if (!ACCOUNT_RE.test(body.account)) return CODE_TEXT[530];
  if (!body.password) return CODE_TEXT[502];
  if (!body.mail) return CODE_TEXT[503];
  if (!/^[^\s@]+@[^\s@]+$/.test(body.mail)) return 'Please enter a valid mail address.';
  return '';
}

async function register(event) {
  event.preventDefault();
  const body = { account: fieldValue('register-account'), password: $('register-password').value,
    mail: fieldValue('register-mail') };
  for (const key of ['name', 'sex', 'birthday', 'sign']) {
    if (fieldValue(`register-${key}`)) body[key] = fieldValue(`register-${key}`);
  }
  if (chosenPicture) body.picture = chosenPicture;
  const problem = validateRegistration(body);
  if (problem) return setText('register-error', problem);
  setText('register-error', '');
  $('register-submit').disabled = true;
  const res = await readJSON(fetch('/im/register', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
  $('register-submit').disabled = res.ok;
  if (!res.ok) return setText('register-error', describe(res));
  // Registered: log straight in with the same credentials.
  $('login-account').value = body.account;
  connect({ account: body.account, password: body.password }, 'password');
}

/** Scale the picked image to fit 96x96 and return bare JPEG base64 (no data: prefix). */
async function scaleImage(file, max = 96) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(1, max / Math.max(img.naturalWidth, img.naturalHeight));
    const [w, h] = [img.naturalWidth, img.naturalHeight].map((n) => Math.max(1, Math.round(n * scale)));
    const canvas = el('canvas', { width: w, height: h });
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; // JPEG has no alpha; transparent areas would turn black
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(img, 0, 0, w, h);
    return canvas.toDataURL('image/jpeg', 0.85).split(',')[1];
  } finally { URL.revokeObjectURL(url); }
}

async function pickPicture() {
  const input = $('register-picture');
  chosenPicture = '';
  setText('register-error', '');
  if (input.files && input.files[0]) {
    try { chosenPicture = `img/base64:${await scaleImage(input.files[0])}`; } catch {
      input.value = '';
      setText('register-error', 'That file could not be read as an image.');
    }
  }
  const name = fieldValue('register-name') || fieldValue('register-account');
  fillAvatar($('register-picture-preview'), chosenPicture, name, '');
}

// ---------- wiring ----------

function wire() {
  $('tab-login').addEventListener('click', () => showTab('login'));
  $('tab-register').addEventListener('click', () => showTab('register'));
  $('login-form').addEventListener('submit', login);
  $('register-form').addEventListener('submit', register);
  $('register-picture').addEventListener('change', pickPicture);
  $('resume-session').addEventListener('click', boot);
  $('logout').addEventListener('click', logout);
  $('status-close').addEventListener('click', hideStatus);
  $('search-form').addEventListener('submit', search);
  $('search-input').addEventListener('input', () => {
    if (!$('search-input').value) { $('search-results').replaceChildren(); setText('search-error', ''); }
  });
  $('back-button').addEventListener('click', closeConversation);
  $('remove-friend').addEventListener('click', () => {
    const f = state.friends.get(state.active);
    if (!f) return;
    setText('remove-text', `Remove ${displayName(f)} from your friends?`);
    $('remove-bar').hidden = false;
  });
  $('remove-cancel').addEventListener('click', () => { $('remove-bar').hidden = true; });
  $('remove-confirm').addEventListener('click', removeActiveFriend);
  $('composer').addEventListener('submit', submitMessage);
  $('message-input').addEventListener('input', autosize);
  $('message-input').addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter is a newline; never interrupt an IME composition.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
}

/** Log back in with the saved token if there is one; otherwise show the login form. */
function boot() {
  const saved = loadSession();
  if (!saved) return showAuth();
  state.session = saved;
  showView('boot');
  connect({ account: saved.account, token: saved.token }, 'token');
}

wire();
boot();
