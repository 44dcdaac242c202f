// Payment settings and the offer on both databases: secrets are write-only and sealed like channel keys (never in a
// response, a log or the database in clear), a provider switches on only when it can take payments, an admin cannot
// redirect EPay without sending its key, a master key rotation re-seals them, and the routes are in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, createTestDatabase, dbKinds, type TestDatabase } from '../helpers/context.js';
import { dumpDatabase } from '../api/account-helpers.js';
import { loadPaymentSettings } from '../../src/payments/settings.js';
import { rotateSecretKey } from '../../src/cli/rotate-secret-key.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { ADMIN, EPAY_KEY, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, createUserWithKey, startPaymentRelay, type PaymentRelay } from './helpers.js';

describe.each(dbKinds)('payment settings on %s', (kind) => {
  let database: TestDatabase;
  let r: PaymentRelay;
  let adminAuth: { authorization: string };
  let userAuth: { authorization: string };

  const put = (payload: unknown, headers = ADMIN) => r.app.inject({ method: 'PUT', url: '/api/payments/settings', headers, payload: payload as object });
  const get = async () => (await r.app.inject({ url: '/api/payments/settings', headers: ADMIN })).json() as Record<string, any>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    r = await startPaymentRelay(kind, { database });
    const admin = await createUserWithKey(r, 'payadmin');
    await r.ctx.db.prisma.user.update({ where: { id: admin.id }, data: { role: 'admin' } });
    adminAuth = admin.auth;
    userAuth = (await createUserWithKey(r, 'payuser')).auth;
  });
  afterAll(async () => {
    await r?.close();
    await database?.drop();
  });

  it('starts with every provider off and says what each one lacks', async () => {
    const s = await get();
    expect(s).toMatchObject({
      currency: 'CNY',
      exchangeRate: 7,
      minorDigits: 2,
      stripe: { enabled: false, active: false, secretKey: null, webhookSecret: null },
      epay: { enabled: false, active: false, key: null },
      telegramStars: { enabled: false, active: false, quotaPerStar: 6500 },
      webhookUrls: { stripe: '', epayNotify: '', epayReturn: '' },
    });
    expect(s.stripe.problem).toMatch(/publicUrl is not set/);
    const offer = await r.app.inject({ url: '/api/payments/offer', headers: userAuth });
    expect(offer.json()).toMatchObject({ providers: [], stars: null });
    expect((await r.app.inject({ url: '/api/payments/settings', headers: userAuth })).statusCode).toBe(403);
  });

  it('refuses to switch a provider on before it can take payments, naming what is missing', async () => {
    const res = await put({ stripe: { enabled: true } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_request', param: 'stripe.enabled' } });
    expect(res.json().error.message).toMatch(/general\.publicUrl is not set/);
    expect((await put({ stripe: { secretKey: 'not-a-key' } })).json()).toMatchObject({ error: { param: 'stripe.secretKey' } });
    expect((await put({ stripe: { bogus: 1 } })).json()).toMatchObject({ error: { param: 'stripe.bogus' } });
    expect((await put({ general: { publicUrl: 'ftp://x' } })).json()).toMatchObject({ error: { param: 'general.publicUrl' } });
    expect((await put({ general: { presets: [50] } })).json()).toMatchObject({ error: { param: 'general.presets' } });
  });

  it('takes secrets write-only: masked in every answer, sealed in the database, never in a log', async () => {
    const res = await put({
      general: { publicUrl: 'https://relay.example.com/', bonusTiers: [{ minAmount: 10_000, percent: 10 }] },
      stripe: { enabled: true, methods: ['card', 'alipay'], secretKey: STRIPE_SECRET_KEY, webhookSecret: STRIPE_WEBHOOK_SECRET },
      epay: { gatewayUrl: 'https://pay.example.com/', pid: '1001', key: EPAY_KEY },
      telegramStars: { enabled: true, quotaPerStar: 7000, presets: [50, 100] },
    });
    expect(res.statusCode, res.body).toBe(200);
    for (const secret of [STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, EPAY_KEY]) expect(res.body).not.toContain(secret);
    const s = await get();
    expect(s).toMatchObject({
      general: { publicUrl: 'https://relay.example.com' },
      stripe: { enabled: true, active: true, problem: null, secretKey: 'sk_te…p7dc', webhookSecret: 'whsec…cdef' },
      epay: { enabled: false, gatewayUrl: 'https://pay.example.com', key: 'epay-…6789', problem: null },
      telegramStars: { active: true },
      webhookUrls: {
        stripe: 'https://relay.example.com/api/payments/stripe/webhook',
        epayNotify: 'https://relay.example.com/api/payments/epay/notify',
        epayReturn: 'https://relay.example.com/api/payments/epay/return',
      },
    });
    const dump = await dumpDatabase(r.ctx.db);
    for (const secret of [STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, EPAY_KEY]) expect(dump).not.toContain(secret);
    const rows = await r.ctx.db.prisma.paymentSecret.findMany();
    expect(rows.map((row) => row.sealed.startsWith(`v1:${r.ctx.secrets.keyId}:`))).toEqual([true, true, true]);
    // Opened only for use.
    expect((await loadPaymentSettings(r.ctx)).secrets).toEqual({ 'stripe.secretKey': STRIPE_SECRET_KEY, 'stripe.webhookSecret': STRIPE_WEBHOOK_SECRET, 'epay.key': EPAY_KEY });
  });

  it('an admin may not point EPay at another gateway or merchant without sending its key; the root may', async () => {
    const moved = await put({ epay: { gatewayUrl: 'https://evil.example.com' } }, adminAuth);
    expect(moved.statusCode).toBe(403);
    expect(moved.json()).toMatchObject({ error: { code: 'forbidden', param: 'epay.key' } });
    expect((await put({ epay: { pid: '2002' } }, adminAuth)).statusCode).toBe(403);
    expect((await put({ epay: { gatewayUrl: 'https://pay2.example.com', key: 'another-merchant-key' } }, adminAuth)).statusCode).toBe(200);
    expect((await put({ epay: { gatewayUrl: 'https://pay.example.com', key: EPAY_KEY } }, adminAuth)).statusCode).toBe(200);
    expect((await put({ epay: { pid: '1002' } })).statusCode).toBe(200);
    expect((await put({ epay: { pid: '1001' } })).statusCode).toBe(200);
    expect((await put({ general: { orderTtlMinutes: 45 } }, userAuth)).statusCode).toBe(403);
  });

  it('offers presets with their exact quota and bonus, and quotes any amount', async () => {
    await r.ctx.options.update({ exchangeRate: 7 });
    const offer = (await r.app.inject({ url: '/api/payments/offer', headers: userAuth })).json();
    expect(offer).toMatchObject({
      currency: 'CNY',
      presets: [
        { amount: 1000, amountText: '10.00 CNY', quota: 714_285, bonusQuota: 0 },
        { amount: 5000, quota: 3_571_428 },
        { amount: 10000, quota: 7_857_142, bonusQuota: 714_285 },
        { amount: 50000, quota: 35_714_285 + 3_571_428, bonusQuota: 3_571_428 },
      ],
      providers: [{ id: 'stripe', methods: ['card', 'alipay'] }],
      stars: { quotaPerStar: 7000, presets: [{ amount: 50, amountText: '50 ⭐', quota: 350_000 }, { amount: 100, quota: 700_000 }] },
    });
    expect((await r.app.inject({ url: '/api/payments/quote?amount=700', headers: userAuth })).json()).toEqual({
      amount: 700,
      amountText: '7.00 CNY',
      currency: 'CNY',
      quota: 500_000,
      bonusQuota: 0,
    });
    expect((await r.app.inject({ url: '/api/payments/quote?amount=7&x=1', headers: userAuth })).json()).toMatchObject({ error: { param: 'x' } });
    expect((await r.app.inject({ url: '/api/payments/quote?amount=1.5', headers: userAuth })).json()).toMatchObject({ error: { param: 'amount' } });
    expect((await r.app.inject({ url: '/api/payments/offer' })).statusCode).toBe(401);
  });

  it('removing a secret switches nothing off silently: a provider that needs it must be off first', async () => {
    expect((await put({ stripe: { webhookSecret: null } })).json()).toMatchObject({ error: { param: 'stripe.enabled' } });
    const off = await put({ stripe: { enabled: false, webhookSecret: null } });
    expect(off.statusCode).toBe(200);
    expect(off.json().stripe).toMatchObject({ enabled: false, webhookSecret: null, secretKey: 'sk_te…p7dc' });
    expect((await put({ stripe: { enabled: true, webhookSecret: STRIPE_WEBHOOK_SECRET } })).statusCode).toBe(200);
  });

  it('a master key rotation re-seals the payment secrets; a wrong master key leaves them unreadable, not garbage', async () => {
    const other = await createTestContext(kind, { RELAY_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') }, database);
    try {
      const wrong = await loadPaymentSettings(other);
      expect(wrong.secrets).toEqual({});
      expect(wrong.unreadable.sort()).toEqual(['epay.key', 'stripe.secretKey', 'stripe.webhookSecret']);
      expect(wrong.stripe.enabled).toBe(true);
    } finally {
      await other.cleanup();
    }
    const next = Buffer.alloc(32, 11);
    const rotated = await rotateSecretKey({ ...r.ctx.config, secretKey: r.ctx.config.secretKey }, r.ctx.db, r.ctx.secrets, next);
    expect(rotated.paymentSecrets).toBe(3);
    const reopened = await loadPaymentSettings({ ...r.ctx, secrets: new SecretBox(next) });
    expect(reopened.secrets['stripe.secretKey']).toBe(STRIPE_SECRET_KEY);
    expect(reopened.unreadable).toEqual([]);
  });

  it('documents every payment route in /api/openapi.json', async () => {
    const doc = (await r.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/api/payments/offer', 'get'],
      ['/api/payments/quote', 'get'],
      ['/api/payments/orders', 'post'],
      ['/api/payments/orders', 'get'],
      ['/api/payments/orders/{id}', 'get'],
      ['/api/payments/admin/orders', 'get'],
      ['/api/payments/admin/orders/{id}', 'get'],
      ['/api/payments/admin/orders/{id}/mark-paid', 'post'],
      ['/api/payments/admin/orders/{id}/refund', 'post'],
      ['/api/payments/settings', 'put'],
      ['/api/payments/stripe/webhook', 'post'],
      ['/api/payments/epay/notify', 'get'],
      ['/api/payments/epay/notify', 'post'],
      ['/api/payments/epay/return', 'get'],
      ['/api/payments/return', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const settings = JSON.stringify(doc.paths['/api/payments/settings']);
    expect(settings).toContain('write-only');
  });
});
