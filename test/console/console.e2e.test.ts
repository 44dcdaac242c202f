// The web console end to end: a real headless Chromium (Debian's chromium through playwright-core) drives the console
// served by a real relay on SQLite, with a fake OpenAI upstream. The admin signs in and creates a channel, a group, a
// user and a redemption code; the user signs in, creates a token, calls the relay with it through the openai SDK, sees
// the call in the logs and on the dashboard, redeems the code, gets a link code and switches to Chinese. Along the way
// it checks the CSP is never violated, the session cookie is out of scripts' reach, no key is left in any page store,
// and the phone layout does not overflow. A screenshot of every main page goes to test-results/console/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import OpenAI from 'openai';
import { build } from 'vite';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { RelayService } from '../../src/relay/service.js';
import { createTestContext, TEST_ADMIN_KEY, type TestContext } from '../helpers/context.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { FakeEpayGateway } from '../fakes/epay-gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'console');
const ADMIN = { username: 'ops', password: 'correct horse battery' };
const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-123' };
const BOT = 'relay_station_bot';
const root = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' };

let consoleDir: string;
let ctx: TestContext;
let app: FastifyInstance;
let base: string;
let upstream: FakeOpenAI;
let browser: Browser;
const cspViolations: string[] = [];
const pageErrors: string[] = [];

async function newContext(locale = 'en-US'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(20_000); // generous: CI machines are shared
  // Every CSP violation, with what was refused and where (the console message alone does not say).
  // (Page scripts are strings here: this file is compiled without the DOM's types.)
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => console.error(
      'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.sample + ' at ' + e.sourceFile + ':' + e.lineNumber + ' on ' + location.pathname));`,
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/^Content Security Policy violation/.test(message.text())) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(who.username);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/** Goes to a page through the navigation (a client-side route change, as a person would). */
async function open(page: Page, link: string | RegExp, heading: string | RegExp = link): Promise<void> {
  await page.getByRole('navigation').first().getByRole('link', { name: link, exact: typeof link === 'string' }).click();
  await page
    .getByRole('heading', { name: heading, level: 2 })
    .waitFor()
    .catch(async (err: unknown) => {
      await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true });
      throw new Error(`${String(err)}\npage errors: ${pageErrors.join('; ')}`);
    });
}

describe('web console end to end (Chromium, SQLite, fake upstream)', () => {
  beforeAll(async () => {
    const started = Date.now();
    mkdirSync(SHOTS, { recursive: true });
    // Build the console from the current sources, exactly as `npm run build:web` does, into a temporary folder.
    consoleDir = mkdtempSync(join(tmpdir(), 'relay-console-'));
    // (vitest sets NODE_ENV=test, which would make Vite bundle React's development build.)
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: join(process.cwd(), 'web', 'vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: consoleDir } });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    upstream = await startFakeOpenAI({ keys: ['sk-upstream-e2e'] });
    ctx = await createTestContext('sqlite');
    const relay = new RelayService(ctx);
    app = await buildApp(ctx, { relay, consoleDir });
    app.addHook('onClose', () => relay.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The operator's first admin account, and the Telegram bot's name for the deep link.
    expect((await fetch(`${base}/api/users`, { method: 'POST', headers: root, body: JSON.stringify({ ...ADMIN, role: 'admin' }) })).status).toBe(201);
    expect((await fetch(`${base}/api/options`, { method: 'PATCH', headers: root, body: JSON.stringify({ telegramBotUsername: BOT }) })).status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    console.log(`console e2e setup (build + relay + browser): ${Date.now() - started} ms`);
  }, 120_000);

  // Closing Chromium and the app took over 30 s once, in a full run on a loaded machine: a longer limit, and each step
  // timed so that a slow one says which it was.
  afterAll(async () => {
    const step = async (name: string, close: () => Promise<unknown> | undefined) => {
      const started = Date.now();
      await close();
      if (Date.now() - started > 5_000) console.log(`console e2e teardown: ${name} took ${Date.now() - started} ms`);
    };
    await step('browser', () => browser?.close());
    await step('app', () => app?.close());
    await step('database', () => ctx?.cleanup());
    await step('upstream', () => upstream?.close());
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  }, 90_000);

  it('serves the console with hashed, immutable assets, a strict CSP and an SPA fallback that leaves the APIs alone', async () => {
    const stats = JSON.parse(readFileSync(join(consoleDir, 'build-stats.json'), 'utf8')) as { firstLoadGzipBytes: number };
    expect(stats.firstLoadGzipBytes).toBeLessThanOrEqual(300 * 1024);
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    const deep = await fetch(`${base}/admin/channels`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    for (const path of ['/api/nope', '/v1/nope', '/v1beta/nope', '/healthz/nope', '/assets/missing.js']) {
      const res = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(404);
      if (!path.startsWith('/assets')) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('admin and user go through the console, and a relay call shows up in it', async () => {
    const started = Date.now();
    /* ------------------------------------------------------------ the admin */
    const admin = await newContext('en-US');
    let page = admin.page;
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot(page, '00-sign-in');
    await signIn(page, ADMIN);
    const cookies = await admin.context.cookies();
    const session = cookies.find((c) => c.name === 'relay_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api' });
    expect(await page.evaluate<string>('document.cookie')).not.toContain('relay_session');

    // A channel pointing at the fake upstream.
    await open(page, 'Channels');
    await page.getByRole('button', { name: 'New channel' }).click();
    const channelForm = page.getByRole('form', { name: 'Channel' });
    await channelForm.getByLabel('Name').fill('fake-openai');
    await channelForm.getByLabel('Base URL').fill(upstream.url);
    await channelForm.getByLabel('Add keys').fill('sk-upstream-e2e');
    await channelForm.getByLabel('Models').fill('gpt-4o-mini');
    await channelForm.getByLabel('Models').press('Enter');
    await channelForm.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: /^fake-openai/ }).waitFor();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByText('test passed').waitFor();
    // A second key, added from the edit form, then switched off there (at once, through its own route).
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    let editForm = page.getByRole('form', { name: 'Channel' });
    await editForm.getByLabel('Add keys').fill('sk-upstream-spare');
    await editForm.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const storedKeys = async () => {
      const list = (await (await fetch(`${base}/api/channels`, { headers: root })).json()) as { items: { keys: { mask: string; status: string }[] }[] };
      return list.items[0]!.keys;
    };
    expect((await storedKeys()).map((k) => k.status)).toEqual(['enabled', 'enabled']);
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    editForm = page.getByRole('form', { name: 'Channel' });
    const spare = (await storedKeys())[1]!.mask;
    const spareSwitch = editForm.getByRole('switch', { name: `Key ${spare} enabled` });
    await expect.poll(() => spareSwitch.isChecked()).toBe(true);
    // Dispatched on the input itself: a pointer click lands at coordinates taken while the dialog may still be
    // animating open, and can miss the switch (CI saw it do so).
    await spareSwitch.dispatchEvent('click');
    await expect.poll(async () => (await storedKeys()).map((k) => k.status)).toEqual(['enabled', 'disabled']);
    expect(JSON.stringify(await storedKeys())).not.toContain('sk-upstream-spare');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await shot(page, '10-admin-channels');

    // A group; a wrong ratio first shows the field's error.
    await open(page, 'Groups');
    await page.getByRole('button', { name: 'New group' }).click();
    const groupForm = page.getByRole('form', { name: 'Group' });
    await groupForm.getByLabel('Name').fill('vip');
    await groupForm.getByLabel('Price ratio').fill('0.1234567');
    await groupForm.getByRole('button', { name: 'Create' }).click();
    await groupForm.getByText('At most 6 decimal places.').waitFor();
    await groupForm.getByLabel('Price ratio').fill('0.8');
    await groupForm.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'vip', exact: true }).waitFor();
    await shot(page, '11-admin-groups');

    // A user with 1 USD; a taken username comes back from the API next to the field.
    await open(page, 'Users');
    await page.getByRole('button', { name: 'New user' }).click();
    let userForm = page.getByRole('form', { name: 'User' });
    await userForm.getByLabel('Username').fill(ADMIN.username);
    await userForm.getByRole('textbox', { name: 'Password', exact: true }).fill(ALICE.password);
    await userForm.getByRole('button', { name: 'Create' }).click();
    await userForm.getByText(/already taken/).waitFor();
    await userForm.getByLabel('Username').fill(ALICE.username);
    await userForm.getByLabel('Balance (USD)').fill('1');
    await userForm.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: ALICE.username, exact: true }).waitFor();
    await shot(page, '12-admin-users');

    // A redemption code worth 5 USD, shown once.
    await open(page, 'Redemption codes');
    const codeForm = page.getByRole('form', { name: 'Generate codes' });
    await codeForm.getByLabel('Batch name').fill('welcome');
    await codeForm.getByLabel('Value each (USD)').fill('5');
    await codeForm.getByRole('button', { name: 'Generate' }).click();
    const code = (await page.getByTestId('secret').textContent())!.trim();
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: 'welcome', exact: true }).waitFor();
    await shot(page, '13-admin-redemptions');

    /* ------------------------------------------------------------ the user */
    const user = await newContext('en-US');
    page = user.page;
    await signIn(page, ALICE);
    await open(page, 'API keys');
    await page.getByRole('button', { name: 'New API key' }).click();
    const tokenForm = page.getByRole('form', { name: 'API key' });
    await tokenForm.getByLabel('Name').fill('laptop');
    await tokenForm.getByLabel('Allowed IP addresses').fill('not-an-ip');
    await tokenForm.getByLabel('Allowed IP addresses').press('Enter');
    await tokenForm.getByRole('button', { name: 'Create' }).click();
    await tokenForm.getByText('Each entry must be an IP address or CIDR subnet.').waitFor();
    await tokenForm.getByRole('button', { name: /Remove|not-an-ip/ }).first().click().catch(() => undefined);
    await tokenForm.getByLabel('Allowed IP addresses').press('Backspace');
    await tokenForm.getByLabel('Allowed IP addresses').press('Backspace');
    await tokenForm.getByRole('button', { name: 'Create' }).click();
    const key = (await page.getByTestId('secret').textContent())!.trim();
    expect(key).toMatch(/^sk-[A-Za-z0-9]{48}$/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    await shot(page, '20-tokens');
    // The key is gone from the page and from every store a script could read.
    const stores = await page.evaluate<string>('JSON.stringify([document.body.innerHTML, { ...localStorage }, { ...sessionStorage }, document.cookie])');
    expect(stores).not.toContain(key);

    // The relay call, with the openai SDK.
    const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1` });
    const answer = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
    expect(answer.choices[0]?.message.content).toBeTruthy();

    await open(page, 'Usage logs');
    await page.getByTestId('logs-table').getByRole('cell', { name: 'gpt-4o-mini', exact: true }).first().waitFor();
    await shot(page, '21-logs');
    const csv = await page.evaluate<string>(`fetch('/api/logs/export', { credentials: 'same-origin' }).then((r) => r.text())`);
    expect(csv.split('\r\n')[1]).toContain('gpt-4o-mini');

    await open(page, 'Dashboard');
    await page.getByRole('cell', { name: 'gpt-4o-mini', exact: true }).first().waitFor();
    await page.getByRole('img', { name: /Spend by day/ }).waitFor();
    await shot(page, '22-dashboard');

    await open(page, 'Balance & top-up');
    await page.getByLabel('Redemption code').fill('wrong-code');
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.getByText(/This code is not valid/).waitFor();
    await page.getByLabel('Redemption code').fill(code);
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.getByRole('status').filter({ hasText: 'Added' }).waitFor();
    await shot(page, '23-wallet');

    // A long-prompt tier (as Gemini 2.5 Pro has) shows under the model's prices.
    const tier = (tiers: unknown) => fetch(`${base}/api/options`, { method: 'PATCH', headers: root, body: JSON.stringify({ priceTiers: { 'gpt-4o-mini': tiers } }) });
    expect((await tier([{ above: 200_000, modelRatio: '0.15', completionRatio: '4' }])).status).toBe(200);
    await open(page, 'Pricing');
    await page.getByTestId('pricing-table').getByRole('cell', { name: 'gpt-4o-mini', exact: true }).waitFor();
    expect(await page.getByTestId('tier-gpt-4o-mini-200000').textContent()).toMatch(/^prompt over 200,000 tokens: \$0\.30/);
    await shot(page, '24-pricing');
    expect((await tier(null)).status).toBe(200);

    await open(page, 'Chat accounts');
    await page.getByRole('button', { name: 'Get a link code' }).click();
    const linkCode = (await page.getByTestId('link-code').textContent())!.trim();
    expect(await page.getByTestId('telegram-link').getAttribute('href')).toBe(`https://t.me/${BOT}?start=${linkCode}`);
    expect(await page.getByTestId('link-command').textContent()).toBe(`/link ${linkCode}`);
    await shot(page, '25-chat-accounts');

    // Chinese: every page follows at once, numbers and dates for zh-CN.
    await open(page, 'Settings');
    await shot(page, '26-settings');
    await page.getByText('中文').first().click();
    await page.getByRole('heading', { name: '设置', level: 2 }).waitFor();
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('zh-CN');
    await open(page, '概览');
    await page.getByText('最近调用').waitFor();
    await shot(page, '27-dashboard-zh');

    // A phone: nothing wider than the screen, the menu in a drawer.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.reload();
    await page.getByRole('heading', { name: '概览', level: 2 }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.getByRole('button', { name: '打开菜单' }).click();
    await page.getByRole('dialog').getByRole('link', { name: '使用日志' }).click();
    await page.getByRole('heading', { name: '使用日志', level: 2 }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await shot(page, '28-logs-phone-zh');
    // Every user page keeps within the phone's width (tables scroll inside their own box).
    for (const name of ['概览', 'API 密钥', '余额与充值', '模型价格', '聊天账号', '设置']) {
      await page.getByRole('button', { name: '打开菜单' }).click();
      await page.getByRole('dialog').getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name, level: 2 }).waitFor();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(375);
    }

    // A browser that follows its own language gets Chinese without choosing it.
    const zhVisitor = await newContext('zh-CN');
    await zhVisitor.page.goto(`${base}/pricing`);
    await zhVisitor.page.getByRole('heading', { name: '模型价格', level: 2 }).waitFor();
    await zhVisitor.context.close();

    /* ------------------------------------------------------------ the admin again, with traffic to show */
    page = admin.page;
    await open(page, 'Overview');
    await page.getByRole('cell', { name: 'fake-openai' }).waitFor();
    await page.getByRole('cell', { name: ALICE.username, exact: true }).waitFor();
    await shot(page, '30-admin-overview');
    await open(page, 'Settings & prices');
    await page.getByLabel('Add a model').fill('my-model');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('my-model Ratio').fill('0.75');
    await page.getByRole('button', { name: 'Save my-model' }).click();
    await expect.poll(() => ctx.options.current.modelRatios['my-model']).toBe('0.75'); // sent as typed: an exact decimal string
    await shot(page, '31-admin-options');
    await open(page, 'All usage logs');
    await page.getByTestId('logs-table').getByRole('cell', { name: 'gpt-4o-mini', exact: true }).first().waitFor();
    await shot(page, '32-admin-logs');

    // Sign-out revokes the session on the server: the old cookie no longer works.
    const before = (await user.context.cookies()).find((c) => c.name === 'relay_session')!.value;
    await user.page.getByRole('button', { name: '退出登录' }).click();
    await user.page.getByRole('button', { name: '登录' }).waitFor();
    const replay = await fetch(`${base}/api/me`, { headers: { cookie: `relay_session=${before}` } });
    expect(replay.status).toBe(401);

    await admin.context.close();
    await user.context.close();
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(existsSync(join(SHOTS, '22-dashboard.png'))).toBe(true);
    console.log(`console e2e walk-through: ${Date.now() - started} ms`);
  }, 180_000);

  it('a user tops up with EPay from the console, sees it paid; the admin sees the order, records a refund and marks one paid', async () => {
    const started = Date.now();
    const EPAY_KEY = 'epay-merchant-key-e2e-0123456789';
    const gateway = await FakeEpayGateway.start('1001', EPAY_KEY);
    gateway.holdNotifications = true;
    try {
      // EPay charges yuan: the operator's currency is CNY at 7 per USD. A buyer with nothing on the account.
      expect((await fetch(`${base}/api/options`, { method: 'PATCH', headers: root, body: JSON.stringify({ currency: 'CNY', exchangeRate: 7 }) })).status).toBe(200);
      const made = await fetch(`${base}/api/users`, { method: 'POST', headers: root, body: JSON.stringify(BOB) });
      expect(made.status).toBe(201);
      const bobId = ((await made.json()) as { id: number }).id;

      /* ------------------------------------------------------------ the admin switches EPay on */
      const admin = await newContext('en-US');
      let page = admin.page;
      await signIn(page, ADMIN);
      await open(page, 'Payment settings');
      const addresses = page.getByRole('form', { name: 'Addresses' });
      await addresses.getByLabel('Public URL of this relay').fill(base);
      await addresses.getByRole('button', { name: 'Save' }).click();
      await page.getByTestId('webhook-epayNotify').filter({ hasText: `${base}/api/payments/epay/notify` }).waitFor();
      const epay = page.getByRole('form', { name: 'EPay' });
      await epay.getByRole('switch', { name: 'Switched on' }).click({ force: true });
      await epay.getByLabel('Gateway URL').fill(gateway.url);
      await epay.getByLabel('Merchant ID (pid)').fill('1001');
      await epay.getByRole('button', { name: 'Set Merchant key' }).click();
      await epay.getByLabel('New Merchant key').fill(EPAY_KEY);
      await epay.getByRole('button', { name: 'Save' }).click();
      await epay.getByText('Taking payments').waitFor();
      // Stored: the form shows the mask only, and the key is in no page store.
      await epay.getByTestId('secret-mask').waitFor();
      expect(await page.evaluate<string>('JSON.stringify([document.body.innerHTML, { ...localStorage }, { ...sessionStorage }])')).not.toContain(EPAY_KEY);
      await shot(page, '40-admin-payment-settings');

      /* ------------------------------------------------------------ the user pays, in Chinese, with the keyboard */
      const user = await newContext('en-US');
      page = user.page;
      await signIn(page, BOB);
      await page.getByText('中文').first().click();
      await open(page, '余额与充值');
      const amount = page.getByLabel('其他金额（CNY）');
      await amount.fill('12.5');
      // 12.50 CNY at 7 per USD: 892,857 units, quoted by the server.
      await page.getByTestId('quote').filter({ hasText: /¥12\.50.*892,857/ }).waitFor();
      await page.getByRole('radio', { name: /支付宝/ }).focus();
      await page.keyboard.press('ArrowDown');
      expect(await page.getByRole('radio', { name: /微信支付/ }).isChecked()).toBe(true);
      await shot(page, '41-topup-zh');
      await amount.focus();
      await page.keyboard.press('Enter');
      // At the gateway's cashier, with the server's amount and the chosen type.
      await page.getByRole('heading', { name: '收银台 12.50' }).waitFor();
      const tradeNo = [...gateway.orders.keys()].at(-1)!;
      expect(gateway.orders.get(tradeNo)).toMatchObject({ type: 'wxpay', money: '12.50', notify_url: `${base}/api/payments/epay/notify` });
      await page.getByRole('button', { name: '确认支付' }).click();
      // Back in the console before the gateway's notification: the page waits for it…
      await page.getByRole('heading', { name: '支付状态', level: 2 }).waitFor();
      expect(page.url()).toBe(`${base}/wallet/return?order=${tradeNo}`);
      await page.getByTestId('order-state').filter({ hasText: '正在等待支付确认' }).waitFor();
      expect(await balanceOf(bobId)).toBe(0n);
      // …and shows the payment once the gateway has called the notify URL.
      gateway.release(tradeNo);
      expect(await gateway.paid.get(tradeNo)).toEqual({ status: 200, text: 'success' });
      await page.getByTestId('order-state').filter({ hasText: '支付成功' }).filter({ hasText: '当前余额' }).waitFor();
      expect(await balanceOf(bobId)).toBe(892_857n);
      await shot(page, '42-topup-return-zh');
      await page.setViewportSize({ width: 375, height: 740 });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await page.getByRole('link', { name: '返回余额与充值' }).click();
      await page.getByTestId('my-orders').getByText('已支付').waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await shot(page, '43-wallet-phone-zh');
      // A second order left at the cashier: pending, with a way back to it.
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.getByRole('button', { name: '支付 ¥10.00' }).click();
      await page.getByRole('heading', { name: '收银台 10.00' }).waitFor();
      const unpaid = [...gateway.orders.keys()].at(-1)!;
      await page.goBack();
      await page.getByTestId('my-orders').getByRole('link', { name: '继续支付' }).waitFor();

      /* ------------------------------------------------------------ the admin: the order, a recorded refund, a payment by hand */
      page = admin.page;
      await open(page, 'Orders');
      const orders = page.getByTestId('admin-orders');
      await orders.getByRole('button', { name: `Open order ${tradeNo}` }).click();
      const detail = page.getByTestId('order-detail');
      await detail.getByTestId('order-history').getByRole('cell', { name: 'credited' }).waitFor();
      // EPay has no refund call: the page says so, and records one made in the gateway's panel.
      await detail.getByTestId('record-only').waitFor();
      const refund = page.getByRole('form', { name: 'Refund' });
      await refund.getByLabel('Amount (CNY)').fill('5');
      await refund.getByLabel(/^Reason/).fill('refunded in the gateway panel');
      await refund.getByRole('button', { name: 'Record refund' }).click();
      await refund.getByRole('button', { name: 'Click again to confirm' }).click();
      await detail.getByRole('status').filter({ hasText: 'Refunded CN¥5.00' }).waitFor();
      await detail.getByText('Partly refunded').waitFor();
      // 5.00 of 12.50 refunded: 2/5 of the quota taken back (rounded up).
      expect(await balanceOf(bobId)).toBe(892_857n - 357_143n);
      await shot(page, '44-admin-order-refunded');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      await orders.getByRole('button', { name: `Open order ${unpaid}` }).click();
      const mark = page.getByRole('form', { name: 'Mark paid by hand' });
      await mark.getByRole('button', { name: 'Mark paid' }).click();
      await mark.getByRole('button', { name: 'Click again to confirm' }).click();
      await mark.getByText('Required.').waitFor(); // a note is required
      await mark.getByLabel(/^Note/).fill('paid by bank transfer, ref 42');
      await mark.getByRole('button', { name: 'Mark paid' }).click();
      await mark.getByRole('button', { name: 'Click again to confirm' }).click();
      await page.getByTestId('order-detail').getByRole('status').filter({ hasText: 'Marked paid' }).waitFor();
      const row = await ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { tradeNo: unpaid } });
      expect(row).toMatchObject({ status: 'paid', note: 'paid by bank transfer, ref 42' });
      expect(row.paidBy).toBeGreaterThan(1);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      await orders.getByRole('cell', { name: 'Partly refunded' }).waitFor();
      await shot(page, '45-admin-orders');
      // The admin pages fit a phone too.
      await page.setViewportSize({ width: 375, height: 740 });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await page.goto(`${base}/admin/payments`);
      await page.getByRole('heading', { name: 'Payment settings', level: 2 }).waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);

      await admin.context.close();
      await user.context.close();
      expect(cspViolations).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await gateway.close();
    }
    console.log(`console e2e payments: ${Date.now() - started} ms`);
  }, 120_000);
});

async function balanceOf(userId: number): Promise<bigint> {
  return (await ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).quota;
}
