import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { encodeText } from '../../client/monster.js';
import { createBackend, type Backend } from '../support/backends.js';
import { buildWebClient, chromiumAvailable, launchChromium, SCREENSHOTS } from '../support/browser.js';
import { Socket, startServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * The web client in Chromium against a real server: three people register, befriend,
 * chat, go offline and come back, recall, run a group and a channel, and hold a video
 * call. The tests are one story, run in order: each starts where the previous one ended.
 */

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
const RTL_EMOJI = 'مرحبا بالعالم 👋🏽 שלום 😀 好的';
const LONG = 'W'.repeat(6000);
/** A 16×16 orange PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGN4VqFBEmIY1TCqYfhqAAAUGoYQFRF6QAAAAABJRU5ErkJggg==', 'base64');
/** Waits for a value the page reaches on its own (pushes, timers): a generous bound for a loaded machine. */
const eventually = <T,>(fn: () => T | Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout });
/** A 16×16 blue PNG. */
const PNG_BLUE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGPQiLpDEmIY1TCqYfhqAABeaV4QTcmYsgAAAABJRU5ErkJggg==', 'base64');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 780 };

interface Person {
  account: string;
  password: string;
  name: string;
  address: string;
  context: BrowserContext;
  page: Page;
}

describe.skipIf(!chromiumAvailable())('the web client at /im/www/v1/chat.html', { timeout: 60_000 }, () => {
  let backend: Backend;
  let server: TestServer;
  let webDir: string;
  let browser: Browser;
  let alice: Person;
  let bob: Person;
  let carol: Person;

  beforeAll(async () => {
    [webDir, backend] = await Promise.all([buildWebClient(), createBackend('sqlite')]);
    server = await startServer(backend, { MONAMI_WEB_DIR: webDir });
    browser = await launchChromium();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await backend?.drop();
  });

  /** A screenshot of the page as it is, with passing notices dismissed. */
  async function shot(page: Page, name: string): Promise<void> {
    for (const close of await page.locator('.toast button').all()) await close.click({ timeout: 1000 }).catch(() => undefined);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async function newContext(viewport: { width: number; height: number }, locale = 'en-US'): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport, locale });
    context.setDefaultTimeout(10_000);
    // Lets the test read each page's RTCPeerConnections (state and statistics).
    await context.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const seen: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          seen.push(this);
        }
      } as typeof RTCPeerConnection;
    });
    return context;
  }

  async function register(prefix: string, name: string, viewport: { width: number; height: number }, options: { picture?: boolean; locale?: string } = {}): Promise<Person> {
    const account = uniqueName(prefix);
    const password = `pw-${account}`;
    const context = await newContext(viewport, options.locale);
    const page = await context.newPage();
    await page.goto(`${server.url}/im/www/v1/chat.html`);
    await page.getByTestId('tab-register').click();
    await page.getByTestId('register-account').fill(account);
    await page.getByTestId('register-password').fill(password);
    await page.getByTestId('register-mail').fill(`${account}@example.org`);
    await page.getByTestId('register-name').fill(name);
    if (options.picture) {
      await page.getByTestId('register-picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
      await page.locator('.picture-picker img').waitFor();
    }
    await page.getByTestId('register-submit').click();
    await page.getByTestId('app-view').waitFor();
    const address = await page.getByTestId('me-address').innerText();
    return { account, password, name, address, context, page };
  }

  /** Opens the conversation with `address` from the chat list. */
  async function open(page: Page, address: string): Promise<void> {
    const back = page.getByTestId('back');
    if (await back.isVisible()) await back.click();
    await page.getByTestId('tab-chats').click();
    await page.locator(`[data-testid="chat-item"][data-address="${address}"]`).click();
    await page.locator(`[data-testid="conversation"][data-address="${address}"]`).waitFor();
  }

  async function send(page: Page, text: string): Promise<void> {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
  }

  const messages = (page: Page) => page.locator('[data-testid="conversation"] [data-testid="message"]');
  const texts = (page: Page) => page.locator('[data-testid="conversation"] [data-testid="message-text"]').allInnerTexts();

  it('registers with a picture, befriends by search, and chats live both ways', async () => {
    alice = await register('alice', 'Alice', DESKTOP, { picture: true });
    bob = await register('bob', 'Bob', PHONE);
    // The picture went to the server as base64 and comes back in the profile.
    expect(await alice.page.locator('[data-testid="open-profile"] img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);

    await alice.page.getByTestId('open-add').click();
    await alice.page.getByTestId('search-input').fill(bob.account);
    await alice.page.getByTestId('search-button').click();
    const result = alice.page.getByTestId('search-result').first();
    await result.getByTestId('request-note').fill('hello from Alice');
    await result.getByTestId('send-request').click();
    await eventually(() => result.getByTestId('request-outcome').innerText()).toContain('waiting for approval');
    // Escape closes a dialog.
    await alice.page.keyboard.press('Escape');
    await alice.page.getByTestId('add-dialog').waitFor({ state: 'detached' });

    await bob.page.getByTestId('tab-contacts').click();
    const request = bob.page.getByTestId('request-item');
    await eventually(() => request.count()).toBe(1);
    expect(await request.getByTestId('request-note-text').innerText()).toBe('hello from Alice');
    await shot(bob.page, 'contacts-request-phone');
    await request.getByTestId('request-alias').fill('Ally');
    await request.getByTestId('request-accept').click();

    // Both see each other online; Bob sees Alice under the alias he chose.
    const bobInAlice = alice.page.locator(`[data-testid="chat-item"][data-address="${bob.address}"]`);
    await eventually(() => bobInAlice.locator('[data-testid="online-dot"]').getAttribute('data-online')).toBe('true');
    await eventually(() => bob.page.locator(`[data-testid="friend-item"][data-address="${alice.address}"]`).innerText()).toContain('Ally');

    await open(alice.page, bob.address);
    await send(alice.page, 'Hi Bob!');
    await eventually(() => messages(alice.page).last().getAttribute('data-state')).toBe('stored');

    await open(bob.page, alice.address);
    await eventually(() => texts(bob.page)).toEqual(['Hi Bob!']);
    await send(bob.page, RTL_EMOJI);
    await eventually(() => texts(alice.page)).toEqual(['Hi Bob!', RTL_EMOJI]);
    await eventually(() => messages(bob.page).last().getAttribute('data-state')).toBe('stored');
    await send(alice.page, 'Tea at five? 🍵');
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('Tea at five? 🍵');
    await shot(alice.page, 'chat-desktop');
    await shot(bob.page, 'chat-phone');
  });

  it('shows a hostile message as text: no markup, no script, no broken layout, on desktop and phone', async () => {
    await send(alice.page, HOSTILE);
    await send(alice.page, LONG);
    await eventually(async () => (await texts(bob.page)).slice(-2)).toEqual([HOSTILE, LONG]);
    for (const page of [alice.page, bob.page]) {
      expect(await page.locator('[data-testid="message-list"] img, [data-testid="message-list"] script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      // Nothing is wider than the window, and the long bubble stays inside the message list.
      const layout = await page.evaluate(() => {
        const list = document.querySelector('[data-testid="message-list"]')!.getBoundingClientRect();
        const bubbles = [...document.querySelectorAll('[data-testid="message-text"]')].map((b) => b.getBoundingClientRect());
        return {
          pageWidth: document.documentElement.scrollWidth,
          windowWidth: window.innerWidth,
          inside: bubbles.every((b) => b.left >= list.left - 1 && b.right <= list.right + 1),
        };
      });
      expect(layout.pageWidth).toBeLessThanOrEqual(layout.windowWidth);
      expect(layout.inside).toBe(true);
    }
    // Right-to-left text keeps its own direction.
    const rtl = bob.page.locator('[data-testid="message-text"]', { hasText: 'مرحبا' });
    expect(await rtl.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    await shot(alice.page, 'hostile-desktop');
    await shot(bob.page, 'hostile-phone');
  });

  it('delivers messages sent while offline at the next login, keeps tabs in step, and recalls for everyone', async () => {
    // Bob closes the app; Alice's list shows him offline, and a call cannot reach him.
    await bob.page.close();
    const bobInAlice = alice.page.locator(`[data-testid="chat-item"][data-address="${bob.address}"] [data-testid="online-dot"]`);
    await eventually(() => bobInAlice.getAttribute('data-online')).toBe('false');
    await alice.page.getByTestId('call-voice').click();
    await eventually(() => alice.page.getByTestId('call-status').innerText()).toContain('is offline');
    await alice.page.getByTestId('call-dismiss').click();

    await send(alice.page, 'while you were away 1');
    await send(alice.page, 'while you were away 2');
    await eventually(() => alice.page.locator('[data-testid="message"][data-state="stored"]').count()).toBe(6);

    // Bob comes back: the saved token logs him in (no password kept), the two messages are there.
    bob.page = await bob.context.newPage();
    await bob.page.goto(`${server.url}/im/www/v1/chat.html`);
    await bob.page.getByTestId('app-view').waitFor();
    expect(await bob.page.evaluate(() => JSON.stringify(localStorage))).not.toContain(bob.password);
    const badge = bob.page.locator(`[data-testid="chat-item"][data-address="${alice.address}"] [data-testid="unread-badge"]`);
    await eventually(() => badge.innerText()).toBe('2');
    await open(bob.page, alice.address);
    await eventually(async () => (await texts(bob.page)).slice(-2)).toEqual(['while you were away 1', 'while you were away 2']);
    await eventually(() => badge.count()).toBe(0);

    // A second tab of Alice's: what one tab sends, the other shows.
    const aliceTab = await alice.context.newPage();
    await aliceTab.goto(`${server.url}/im/www/v1/chat.html`);
    await aliceTab.getByTestId('app-view').waitFor();
    await open(aliceTab, bob.address);
    await send(alice.page, 'oops, wrong chat');
    await eventually(async () => (await texts(aliceTab)).at(-1)).toBe('oops, wrong chat');
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('oops, wrong chat');

    // Recall: the sender's message turns into a notice for Bob and in Alice's other tab.
    const mine = messages(alice.page).last();
    await mine.hover();
    await mine.getByTestId('message-recall').click();
    await eventually(() => messages(alice.page).last().getAttribute('data-recalled')).toBe('true');
    await eventually(() => messages(bob.page).last().innerText()).toContain('Ally recalled a message');
    await eventually(() => messages(aliceTab).last().getAttribute('data-recalled')).toBe('true');
    expect(await bob.page.getByText('oops, wrong chat').count()).toBe(0);
    await aliceTab.close();
  });

  it('loads history as the reader scrolls up', async () => {
    const session = MinamiSession.connect(server.url, { account: alice.account, password: alice.password }, Socket);
    expect((await session.login).code).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: 45 }, (_, i) => session.request({ messageId: `page-${i + 1}`, code: '2001', to: bob.address, text: encodeText(`history ${i + 1}`) })),
    );
    expect(answers.every((a) => a.statusCode === '200')).toBe(true);
    await session.close();
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('history 45');

    // After a reload only the latest page is read; scrolling up brings the rest.
    await bob.page.reload();
    await bob.page.getByTestId('app-view').waitFor();
    await open(bob.page, alice.address);
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('history 45');
    expect(await messages(bob.page).count()).toBeLessThan(45);
    const list = bob.page.getByTestId('message-list');
    await expect
      .poll(async () => {
        await list.evaluate((el) => (el.scrollTop = 0));
        return bob.page.getByTestId('history-start').count();
      }, { timeout: 15_000 })
      .toBe(1);
    const all = await texts(bob.page);
    expect(all.slice(0, 3)).toEqual(['Hi Bob!', RTL_EMOJI, 'Tea at five? 🍵']);
    expect(all.filter((t) => t.startsWith('history ')).length).toBe(45);
    expect(all.filter((t) => t === 'history 1').length).toBe(1);
  });

  it('creates a group with a pass code that a third person joins by address, in Chinese', async () => {
    carol = await register('carol', '小卡', DESKTOP, { locale: 'zh-CN' });
    // Carol's browser asks for Chinese, so the page speaks it.
    expect(await carol.page.getByTestId('tab-chats').innerText()).toContain('聊天');

    const group = uniqueName('tea');
    const domain = alice.address.slice(alice.address.indexOf(':') + 1);
    await alice.page.getByTestId('open-create').click();
    await alice.page.getByTestId('create-name').fill(group);
    await alice.page.getByTestId('create-display-name').fill('Tea Club');
    await alice.page.getByTestId('policy-pass').check();
    await alice.page.getByTestId('policy-pass-code').fill('4321');
    await alice.page.getByTestId('create-submit').click();
    const groupAddress = `@${group}:${domain}`;
    await alice.page.locator(`[data-testid="conversation"][data-address="${groupAddress}"]`).waitFor();

    // Carol: a wrong pass code is refused, the right one lets her in.
    await carol.page.getByTestId('open-add').click();
    await carol.page.getByTestId('add-tab-address').click();
    await carol.page.getByTestId('address-input').fill(`@nobody-${group}:${domain}`);
    await carol.page.getByTestId('address-lookup').click();
    await eventually(() => carol.page.getByTestId('address-problem').innerText()).toContain('[404]');
    // An address on another server is asked there; one that cannot be reached says so.
    await carol.page.getByTestId('address-input').fill('@someone:unreachable.invalid');
    await carol.page.getByTestId('address-lookup').click();
    await eventually(() => carol.page.getByTestId('address-problem').innerText(), 20_000).toContain('unreachable.invalid');
    await carol.page.getByTestId('address-input').fill(groupAddress);
    await carol.page.getByTestId('address-lookup').click();
    await eventually(() => carol.page.getByTestId('address-card').innerText()).toContain('Tea Club');
    await carol.page.getByTestId('address-pass').fill('0000');
    await carol.page.getByTestId('address-apply').click();
    await eventually(() => carol.page.getByTestId('address-result').innerText()).toContain('验证码');
    await carol.page.getByTestId('address-pass').fill('4321');
    await carol.page.getByTestId('address-apply').click();
    await eventually(() => carol.page.getByTestId('address-result').innerText()).toContain('Tea Club');
    await shot(carol.page, 'join-by-address-desktop');
    await carol.page.getByTestId('modal-close').click();

    // Bob joins too, from his phone.
    await bob.page.getByTestId('back').click();
    await bob.page.getByTestId('open-add').click();
    await bob.page.getByTestId('add-tab-address').click();
    await bob.page.getByTestId('address-input').fill(groupAddress);
    await bob.page.getByTestId('address-lookup').click();
    await bob.page.getByTestId('address-pass').fill('4321');
    await bob.page.getByTestId('address-apply').click();
    await eventually(() => bob.page.getByTestId('address-result').innerText()).toContain('joined');
    await bob.page.getByTestId('modal-close').click();

    await send(alice.page, 'Welcome to the tea club 🍵');
    await open(carol.page, groupAddress);
    await open(bob.page, groupAddress);
    await eventually(async () => (await texts(carol.page)).at(-1)).toBe('Welcome to the tea club 🍵');
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('Welcome to the tea club 🍵');
    await send(carol.page, '谢谢！');
    await eventually(async () => (await texts(alice.page)).at(-1)).toBe('谢谢！');
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('谢谢！');
    // In a group, each message names its sender.
    expect(await messages(alice.page).last().locator('.sender').innerText()).toBe('小卡');

    await shot(alice.page, 'group-desktop');
    await shot(carol.page, 'group-desktop-zh');
    await shot(bob.page, 'group-phone');
    await alice.page.getByTestId('open-info').click();
    await eventually(() => alice.page.getByTestId('member-item').count()).toBe(3);
    await shot(alice.page, 'group-info-desktop');
    // Alice renames the group: the members' lists follow at once.
    await alice.page.locator('[data-testid="group-settings"] input').first().fill('Tea House');
    await alice.page.getByTestId('group-settings-save').click();
    const carolsItem = carol.page.locator(`[data-testid="chat-item"][data-address="${groupAddress}"] .name`);
    await eventually(() => carolsItem.innerText()).toBe('Tea House');
    await alice.page.getByTestId('open-info').click();

    // Alt+↓ and Alt+↑ move between conversations.
    const current = () => alice.page.getByTestId('conversation').getAttribute('data-address');
    await alice.page.keyboard.press('Alt+ArrowDown');
    await eventually(current).toBe(bob.address);
    await alice.page.keyboard.press('Alt+ArrowUp');
    await eventually(current).toBe(groupAddress);

    // Carol leaves; the group is gone from her list.
    await carol.page.getByTestId('open-info').click();
    await carol.page.getByTestId('leave-group').click();
    await carol.page.getByTestId('confirm-ok').click();
    await eventually(() => carol.page.locator(`[data-testid="chat-item"][data-address="${groupAddress}"]`).count()).toBe(0);
  });

  it('runs a channel where only the owner posts', async () => {
    const channel = uniqueName('news');
    const domain = alice.address.slice(alice.address.indexOf(':') + 1);
    const address = `@${channel}:${domain}`;
    await alice.page.getByTestId('open-create').click();
    await alice.page.getByTestId('create-name').fill(channel);
    await alice.page.getByTestId('create-display-name').fill('Daily News');
    await alice.page.getByTestId('create-kind-channel').check();
    await alice.page.getByTestId('policy-open').check();
    await alice.page.getByTestId('create-submit').click();
    await alice.page.locator(`[data-testid="conversation"][data-address="${address}"]`).waitFor();

    await bob.page.getByTestId('back').click();
    await bob.page.getByTestId('open-add').click();
    await bob.page.getByTestId('add-tab-address').click();
    await bob.page.getByTestId('address-input').fill(address);
    await bob.page.getByTestId('address-lookup').click();
    await eventually(() => bob.page.getByTestId('address-apply').innerText()).toBe('Subscribe');
    await bob.page.getByTestId('address-apply').click();
    await eventually(() => bob.page.getByTestId('address-result').innerText()).toContain('joined');
    await bob.page.getByTestId('modal-close').click();

    await send(alice.page, 'Edition 1: monami ships a web client.');
    await open(bob.page, address);
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('Edition 1: monami ships a web client.');
    // A subscriber reads; there is no composer for them.
    expect(await bob.page.getByTestId('message-input').count()).toBe(0);
    expect(await bob.page.locator('.read-only').innerText()).toContain('Only the owner and admins post');
  });

  it('holds a video call in which both browsers connect and decode each other’s video', async () => {
    await open(bob.page, alice.address);
    await open(alice.page, bob.address);
    await alice.page.getByTestId('call-video').click();
    await eventually(() => bob.page.getByTestId('call-overlay').getAttribute('data-phase')).toBe('incoming');
    // Bob sees Alice under the alias he gave her.
    expect(await bob.page.getByTestId('call-status').innerText()).toContain('Ally is video calling you');
    await eventually(() => alice.page.getByTestId('call-overlay').getAttribute('data-phase')).toBe('ringing');
    await bob.page.getByTestId('call-accept').click();

    for (const page of [alice.page, bob.page]) {
      await eventually(() => page.getByTestId('call-overlay').getAttribute('data-phase'), 20_000).toBe('connected');
    }
    const media = (page: Page) =>
      page.evaluate(async () => {
        const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
        let framesDecoded = 0;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
        });
        return { state: pc.connectionState, framesDecoded };
      });
    for (const page of [alice.page, bob.page]) {
      await eventually(async () => (await media(page)).state).toBe('connected');
      await eventually(async () => (await media(page)).framesDecoded, 20_000).toBeGreaterThan(0);
    }
    await shot(alice.page, 'call-desktop');
    await shot(bob.page, 'call-phone');

    // Mute and camera off switch the local tracks off.
    await alice.page.getByTestId('call-mute').click();
    await alice.page.getByTestId('call-camera').click();
    expect(await alice.page.getByTestId('call-mute').getAttribute('aria-pressed')).toBe('true');
    const localTracks = await alice.page.evaluate(() => {
      const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
      return pc.getSenders().map((s) => ({ kind: s.track?.kind, enabled: s.track?.enabled }));
    });
    expect(localTracks.filter((t) => t.kind).every((t) => t.enabled === false)).toBe(true);

    await alice.page.getByTestId('call-hangup').click();
    await eventually(() => bob.page.getByTestId('call-status').innerText()).toContain('hung up');
    await eventually(() => bob.page.getByTestId('call-overlay').count(), 10_000).toBe(0);

    // A declined call says so to the caller.
    await bob.page.getByTestId('call-voice').click();
    await eventually(() => alice.page.getByTestId('call-overlay').getAttribute('data-phase')).toBe('incoming');
    await alice.page.getByTestId('call-decline').click();
    await eventually(() => bob.page.getByTestId('call-status').innerText()).toContain('declined');
    await eventually(() => bob.page.getByTestId('call-overlay').count()).toBe(0);
  });

  it('reconnects after a server restart, sends what was written meanwhile, and retries a failed message', async () => {
    await open(alice.page, bob.address);
    await open(bob.page, alice.address);
    const port = new URL(server.url).port;
    await server.close();
    await eventually(() => alice.page.getByTestId('connection').getAttribute('data-state')).not.toBe('online');
    await send(alice.page, 'written while the server was down');
    expect(await messages(alice.page).last().getAttribute('data-state')).toBe('sending');
    server = await startServer(backend, { MONAMI_WEB_DIR: webDir, PORT: port });
    await eventually(() => alice.page.getByTestId('connection').getAttribute('data-state'), 20_000).toBe('online');
    await eventually(() => messages(alice.page).last().getAttribute('data-state')).toBe('stored');
    await eventually(async () => (await texts(bob.page)).at(-1), 20_000).toBe('written while the server was down');

    // Fault injection: the answer to one message is replaced by a server fault. The message
    // shows as failed with the code; Retry sends it again and the server stores it once.
    let failed = false;
    await alice.page.routeWebSocket(/\/im\/login/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((message) => {
        const frame = JSON.parse(String(message)) as { code?: string; text?: string; messageId?: string };
        if (!failed && frame.code === '2001' && frame.text === encodeText('flaky network')) {
          failed = true;
          ws.send(JSON.stringify({ messageId: frame.messageId, code: '2001', statusCode: '500', error: 'internal error' }));
          return;
        }
        upstream.send(message);
      });
    });
    await alice.page.reload();
    await alice.page.getByTestId('app-view').waitFor();
    await open(alice.page, bob.address);
    await send(alice.page, 'flaky network');
    const flaky = messages(alice.page).last();
    await eventually(() => flaky.getAttribute('data-state')).toBe('failed');
    expect(await flaky.innerText()).toContain('[500]');
    await flaky.getByTestId('message-retry').click();
    await eventually(() => flaky.getAttribute('data-state')).toBe('stored');
    await eventually(async () => (await texts(bob.page)).at(-1)).toBe('flaky network');
    expect((await texts(bob.page)).filter((t) => t === 'flaky network')).toHaveLength(1);
  });

  it('declines a friend request, and removes a friend on both sides', async () => {
    await carol.page.getByTestId('open-add').click();
    await carol.page.getByTestId('search-input').fill(bob.account);
    await carol.page.getByTestId('search-button').click();
    await carol.page.getByTestId('send-request').click();
    await carol.page.getByTestId('request-outcome').waitFor();
    await carol.page.keyboard.press('Escape');
    await bob.page.getByTestId('back').click();
    await bob.page.getByTestId('tab-contacts').click();
    const request = bob.page.locator(`[data-testid="request-item"][data-address="${carol.address}"]`);
    await request.waitFor();
    await request.getByTestId('request-decline').click();
    await eventually(() => request.count()).toBe(0);
    expect(await bob.page.locator(`[data-testid="friend-item"][data-address="${carol.address}"]`).count()).toBe(0);
    await bob.page.getByTestId('tab-chats').click();
    await open(bob.page, alice.address);

    await bob.page.getByTestId('open-info').click();
    await bob.page.getByTestId('remove-friend').click();
    await bob.page.getByTestId('confirm-ok').click();
    await eventually(() => bob.page.locator(`[data-testid="chat-item"][data-address="${alice.address}"]`).count()).toBe(0);
    await eventually(() => alice.page.locator(`[data-testid="chat-item"][data-address="${bob.address}"]`).count()).toBe(0);
    await eventually(() => alice.page.getByTestId('toast-info').last().innerText()).toContain('is no longer your friend');
  });

  it('edits the profile and its public fields, switches language, explains errors, and logs out', async () => {
    await alice.page.getByTestId('open-profile').click();
    await alice.page.getByTestId('profile-name').fill('Alice L.');
    await alice.page.getByTestId('profile-sign').fill('tea & code');
    await alice.page.getByTestId('profile-sex').fill('F');
    await eventually(() => alice.page.getByTestId('public-synopsis').isChecked()).toBe(true);
    await alice.page.getByTestId('public-sex').check();
    const before = await alice.page.locator('[data-testid="open-profile"] img').getAttribute('src');
    await alice.page.getByTestId('profile-picture').setInputFiles({ name: 'new.png', mimeType: 'image/png', buffer: PNG_BLUE });
    await eventually(() => alice.page.locator('[data-testid="profile-dialog"] .picture-picker img').getAttribute('src')).not.toBe(before);
    await shot(alice.page, 'profile-desktop');
    await alice.page.getByTestId('profile-save').click();
    await alice.page.getByTestId('profile-dialog').waitFor({ state: 'detached' });
    expect(await alice.page.getByTestId('me-name').innerText()).toBe('Alice L.');
    expect(await alice.page.locator('[data-testid="open-profile"] img').getAttribute('src')).not.toBe(before);
    // The new picture is what the server now serves for Alice.
    const avatar = await fetch(`${server.url}/im/avatar/${alice.account}`);
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get('content-type')).toBe('image/jpeg');
    // What anyone sees at Alice's address (1000) follows her choice.
    const info = (await (await fetch(`${server.url}/${alice.account}`)).json()) as { nickname: string; info: Array<{ title: string; value: string }> };
    expect(info.nickname).toBe('Alice L.');
    expect(info.info).toEqual([
      { title: 'sex', value: 'F' },
      { title: 'synopsis', value: 'tea & code' },
    ]);

    await alice.page.getByTestId('language').selectOption('zh');
    expect(await alice.page.getByTestId('tab-contacts').innerText()).toContain('通讯录');
    await alice.page.getByTestId('language').selectOption('en');

    // Logging out revokes the token and forgets it.
    const saved = await alice.page.evaluate(() => JSON.parse(localStorage.getItem('monami.session') ?? 'null') as { id: string; token: string });
    expect(saved.token).toMatch(/^[0-9a-f]{32}$/);
    await alice.page.getByTestId('logout').click();
    await alice.page.getByTestId('auth-view').waitFor();
    await eventually(async () => (await server.http.found(saved, 'x')).code).toBe(515);
    expect(await alice.page.evaluate(() => localStorage.getItem('monami.session'))).toBeNull();

    // Errors are explained with their code.
    await alice.page.getByTestId('login-account').fill(alice.account);
    await alice.page.getByTestId('login-password').fill('not the password');
    await alice.page.getByTestId('login-submit').click();
    await eventually(() => alice.page.getByTestId('auth-error').innerText()).toBe('Wrong account or password. [505]');
    await alice.page.getByTestId('tab-register').click();
    await alice.page.getByTestId('register-account').fill(bob.account);
    await alice.page.getByTestId('register-password').fill('x');
    await alice.page.getByTestId('register-mail').fill('x@example.org');
    await alice.page.getByTestId('register-submit').click();
    await eventually(() => alice.page.getByTestId('auth-error').innerText()).toBe('This account name is already taken. [504]');
    await shot(alice.page, 'auth-desktop');
    await alice.page.getByTestId('tab-login').click();
    await alice.page.getByTestId('login-account').fill(alice.account);
    await alice.page.getByTestId('login-password').fill(alice.password);
    await alice.page.getByTestId('login-submit').click();
    await alice.page.getByTestId('app-view').waitFor();
  });
});
