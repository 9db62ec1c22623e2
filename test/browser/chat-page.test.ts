import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../support/backends.js';
import { chromiumAvailable, launchChromium, SCREENSHOTS } from '../support/browser.js';
import { startServer, uniqueName, type TestServer } from '../support/server.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

describe.skipIf(!chromiumAvailable())('the web page at /im/www/v1/chat.html', () => {
  let backend: Backend;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    backend = await createBackend('sqlite');
    server = await startServer(backend);
    browser = await launchChromium();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await backend?.drop();
  });

  async function openAs(account: string, name: string, viewport = { width: 1200, height: 800 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${server.url}/im/www/v1/chat.html`);
    await page.getByTestId('tab-register').click();
    await page.getByTestId('register-account').fill(account);
    await page.getByTestId('register-password').fill(`pw-${account}`);
    await page.getByTestId('register-mail').fill(`${account}@example.org`);
    await page.getByTestId('register-name').fill(name);
    await page.getByTestId('register-submit').click();
    await page.getByTestId('app-view').waitFor();
    return page;
  }

  it('registers, befriends, chats both ways as text, survives a reload and logs out', async () => {
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    const a = await openAs(alice, 'Alice');
    const b = await openAs(bob, 'Bob', { width: 390, height: 800 });

    await a.getByTestId('search-input').fill(bob);
    await a.getByTestId('search-button').click();
    const result = a.getByTestId('search-result').first();
    await result.getByTestId('request-note').fill('hello from Alice');
    await result.getByTestId('send-request').click();

    const request = b.getByTestId('request-item');
    await expect.poll(() => request.count()).toBe(1);
    await request.getByTestId('request-alias').fill('Ally');
    await request.getByTestId('request-accept').click();

    const bobInAlice = a.getByTestId('friend-item');
    await expect.poll(() => bobInAlice.getAttribute('data-online')).toBe('true');
    await bobInAlice.click();
    await a.getByTestId('message-input').fill(HOSTILE);
    await a.getByTestId('message-input').press('Enter');
    const sent = a.getByTestId('message').last();
    await expect.poll(() => sent.getAttribute('data-state')).toBe('delivered');

    await b.getByTestId('friend-item').click();
    const received = b.getByTestId('message').last();
    await expect.poll(() => received.innerText()).toContain(HOSTILE);
    expect(await b.locator('.messages img, [data-testid="message-list"] img').count()).toBe(0);
    expect(await b.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    await b.getByTestId('message-input').fill('好的 👍 مرحبا');
    await b.getByTestId('send-button').click();
    await expect.poll(() => a.getByTestId('message').last().innerText()).toContain('好的 👍 مرحبا');

    await a.screenshot({ path: path.join(SCREENSHOTS, 'chat-desktop.png') });
    await b.screenshot({ path: path.join(SCREENSHOTS, 'chat-phone.png') });

    // A reload logs back in with the saved token, not the password.
    const saved = await a.evaluate(() => JSON.stringify(localStorage));
    expect(saved).not.toContain(`pw-${alice}`);
    await a.reload();
    await a.getByTestId('app-view').waitFor();
    await expect.poll(() => a.getByTestId('friend-item').count()).toBe(1);

    const token = await a.evaluate(() => {
      const raw = Object.values(localStorage).find((v) => v.includes('token'));
      return raw ? (JSON.parse(raw) as { id: string; token: string }) : null;
    });
    expect(token).not.toBeNull();
    await a.getByTestId('logout').click();
    await a.getByTestId('auth-view').waitFor();
    await expect.poll(async () => (await server.http.found(token!, 'x')).code).toBe(515);
  });
});
