// The operator's payment settings: amounts offered (presets, limits, bonus tiers), where the relay is reached from
// outside, and each provider's switch and configuration. Stored as one JSON row per part (PaymentSetting); the currency
// and exchange rate stay the existing options `currency` / `exchangeRate`. Provider secrets are PaymentSecret rows
// sealed with the SecretBox like channel keys: accepted by the API, shown only masked, opened only to talk to the
// provider. Read from the database on use (a few rows), so every instance sees a change at once.
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors.js';
import { SecretBoxError, sealedKeyId } from '../auth/secret-box.js';
import { maskKey } from '../services/channel-repository.js';
import { minorDigits } from './money.js';

export type PaymentContext = Pick<AppContext, 'db' | 'bus' | 'options' | 'secrets' | 'log'>;

const Url = Type.String({ maxLength: 500, description: 'an http(s) URL, or empty' });
const MinorAmount = Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: "in the currency's minor unit (fen, cents)" });

export const GeneralSettings = Type.Object(
  {
    // At most 8: two buttons a row plus one more row stay within Discord's 5 rows of buttons.
    presets: Type.Array(MinorAmount, { maxItems: 8, description: 'amounts offered as buttons, in minor units (1000 = 10.00 CNY)' }),
    minAmount: MinorAmount,
    maxAmount: MinorAmount,
    bonusTiers: Type.Array(
      Type.Object(
        {
          minAmount: MinorAmount,
          percent: Type.Integer({ minimum: 1, maximum: 1000, description: 'extra quota in percent of the bought quota' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20, description: 'orders of at least minAmount get the highest percent they reach' },
    ),
    orderTtlMinutes: Type.Integer({ minimum: 30, maximum: 1440, description: 'an unpaid order expires after this' }),
    publicUrl: { ...Url, description: 'the address providers and buyers reach this relay at, e.g. https://relay.example.com' },
    returnUrl: {
      ...Url,
      description: "where buyers land after paying (`?order=<tradeNo>` is added); empty = the console's /wallet/return for console orders, the built-in status page for bot orders",
    },
  },
  { additionalProperties: false },
);

export const STRIPE_METHODS = ['card', 'alipay', 'wechat_pay'] as const;
export type StripeMethod = (typeof STRIPE_METHODS)[number];

export const StripeSettings = Type.Object(
  {
    enabled: Type.Boolean(),
    methods: Type.Array(Type.Union([Type.Literal('card'), Type.Literal('alipay'), Type.Literal('wechat_pay')]), {
      maxItems: 3,
      description: 'payment method types offered; Alipay and WeChat Pay only where the currency allows them',
    }),
  },
  { additionalProperties: false },
);

export const EpaySettings = Type.Object(
  {
    enabled: Type.Boolean(),
    gatewayUrl: { ...Url, description: 'the gateway root; submit.php is under it' },
    pid: Type.String({ maxLength: 64, description: 'merchant id (商户ID)' }),
    types: Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,20}$' }), { maxItems: 8, description: 'payment types offered: alipay, wxpay, qqpay, …' }),
  },
  { additionalProperties: false },
);

/** Telegram's largest Stars invoice. */
export const MAX_STARS = 10_000;

export const TelegramStarsSettings = Type.Object(
  {
    enabled: Type.Boolean(),
    quotaPerStar: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'quota units one Star buys' }),
    presets: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_STARS }), { maxItems: 8, description: 'Star amounts offered as buttons' }),
  },
  { additionalProperties: false },
);

export interface PaymentSettings {
  general: Static<typeof GeneralSettings>;
  stripe: Static<typeof StripeSettings>;
  epay: Static<typeof EpaySettings>;
  telegramStars: Static<typeof TelegramStarsSettings>;
}
export type SettingsPart = keyof PaymentSettings;

const PART_SCHEMAS = { general: GeneralSettings, stripe: StripeSettings, epay: EpaySettings, telegramStars: TelegramStarsSettings };

export const DEFAULT_PAYMENT_SETTINGS: PaymentSettings = {
  general: {
    presets: [1000, 5000, 10000, 50000],
    minAmount: 100,
    maxAmount: 1_000_000,
    bonusTiers: [],
    orderTtlMinutes: 60,
    publicUrl: '',
    returnUrl: '',
  },
  stripe: { enabled: false, methods: ['card'] },
  epay: { enabled: false, gatewayUrl: '', pid: '', types: ['alipay', 'wxpay'] },
  // 1 Star ≈ 0.013 USD to the developer: 6,500 units.
  telegramStars: { enabled: false, quotaPerStar: 6500, presets: [100, 500, 1000, 2500] },
};

export const SECRET_NAMES = ['stripe.secretKey', 'stripe.webhookSecret', 'epay.key'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
const secretPurpose = (name: SecretName): string => `payment-secret:${name}`;

export interface LoadedPaymentSettings extends PaymentSettings {
  /** The option `currency` (upper case) and `exchangeRate` (currency per 1 USD of quota). */
  currency: string;
  exchangeRate: number;
  /** Opened secrets; a secret sealed with another master key (or damaged) is absent and listed in `unreadable`. */
  secrets: Partial<Record<SecretName, string>>;
  masks: Partial<Record<SecretName, string>>;
  unreadable: SecretName[];
}

export async function loadPaymentSettings(ctx: PaymentContext): Promise<LoadedPaymentSettings> {
  const [rows, secretRows] = await Promise.all([ctx.db.prisma.paymentSetting.findMany(), ctx.db.prisma.paymentSecret.findMany()]);
  const settings = structuredClone(DEFAULT_PAYMENT_SETTINGS) as PaymentSettings;
  for (const row of rows) {
    if (!(row.name in PART_SCHEMAS)) continue;
    const part = row.name as SettingsPart;
    try {
      // Each field on its own, so a field an older or newer version wrote cannot discard the others.
      const stored = JSON.parse(row.value) as Record<string, unknown>;
      const merged = { ...settings[part], ...stored };
      if (Value.Check(PART_SCHEMAS[part], merged)) Object.assign(settings[part], merged);
    } catch {
      // an unreadable row keeps the defaults (every provider off) rather than taking payments down with garbage
    }
  }
  const secrets: LoadedPaymentSettings['secrets'] = {};
  const masks: LoadedPaymentSettings['masks'] = {};
  const unreadable: SecretName[] = [];
  for (const row of secretRows) {
    const name = row.name as SecretName;
    if (!SECRET_NAMES.includes(name)) continue;
    masks[name] = row.mask;
    try {
      secrets[name] = ctx.secrets.open(secretPurpose(name), row.sealed);
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err;
      unreadable.push(name);
    }
  }
  const options = ctx.options.current;
  return { ...settings, currency: options.currency.toUpperCase(), exchangeRate: options.exchangeRate, secrets, masks, unreadable };
}

/** Why a provider cannot take a payment now; null when it can. */
export function providerProblem(s: LoadedPaymentSettings, provider: SettingsPart & ('stripe' | 'epay' | 'telegramStars')): string | null {
  const needs = (names: SecretName[]): string | null => {
    const missing = names.filter((n) => !s.secrets[n]);
    if (!missing.length) return null;
    const unreadable = missing.filter((n) => s.unreadable.includes(n));
    return unreadable.length
      ? `${unreadable.join(', ')} cannot be decrypted with this master key; enter it again`
      : `${missing.join(', ')} is not set`;
  };
  const moneyProblem = (): string | null => {
    if (!s.general.publicUrl) return 'general.publicUrl is not set (providers need it to reach the relay)';
    if (!(s.exchangeRate > 0)) return 'the option exchangeRate must be above 0';
    return null;
  };
  switch (provider) {
    case 'stripe':
      if (!s.stripe.methods.length) return 'stripe.methods is empty';
      return moneyProblem() ?? needs(['stripe.secretKey', 'stripe.webhookSecret']);
    case 'epay':
      if (!s.epay.gatewayUrl) return 'epay.gatewayUrl is not set';
      if (!s.epay.pid) return 'epay.pid is not set';
      if (!s.epay.types.length) return 'epay.types is empty';
      if (minorDigits(s.currency) !== 2) return `EPay gateways charge in yuan with 2 decimals; the currency ${s.currency} does not fit (set the option currency to CNY)`;
      return moneyProblem() ?? needs(['epay.key']);
    case 'telegramStars':
      return s.telegramStars.presets.length ? null : 'telegramStars.presets is empty';
  }
}

/** The providers that are switched on and able to take a payment. */
export function activeProviders(s: LoadedPaymentSettings): { stripe: boolean; epay: boolean; telegramStars: boolean } {
  return {
    stripe: s.stripe.enabled && providerProblem(s, 'stripe') === null,
    epay: s.epay.enabled && providerProblem(s, 'epay') === null,
    telegramStars: s.telegramStars.enabled && providerProblem(s, 'telegramStars') === null,
  };
}

/* ------------------------------------------------------------------ changing them */

const SecretInput = Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
  description: 'write-only: a new value replaces the stored one, null removes it; never returned',
});

const partialOf = <P extends Record<string, import('typebox').TSchema>>(props: P) =>
  Type.Partial(Type.Object(props), { additionalProperties: false });

export const PaymentSettingsPatch = Type.Object(
  {
    general: Type.Optional(partialOf(GeneralSettings.properties)),
    stripe: Type.Optional(
      partialOf({ ...StripeSettings.properties, secretKey: SecretInput, webhookSecret: SecretInput }),
    ),
    epay: Type.Optional(partialOf({ ...EpaySettings.properties, key: SecretInput })),
    telegramStars: Type.Optional(partialOf(TelegramStarsSettings.properties)),
  },
  { additionalProperties: false },
);
export type PaymentSettingsPatchBody = Static<typeof PaymentSettingsPatch>;

function bad(param: string, message: string): RelayError {
  return new RelayError('invalid_request', message, 400, { param });
}

/** '' stays ''; otherwise an http(s) URL without query or fragment, without a trailing slash. */
function checkUrl(value: string, param: string): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(param, `${param} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(param, `${param} must be an http(s) URL`);
  if (url.search || url.hash || url.username || url.password) throw bad(param, `${param} must not carry a query, fragment or credentials`);
  return url.toString().replace(/\/+$/, '');
}

const SECRET_SHAPES: Record<SecretName, { pattern: RegExp; hint: string }> = {
  'stripe.secretKey': { pattern: /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/, hint: 'a Stripe secret key (sk_live_… / sk_test_…) or restricted key (rk_…)' },
  'stripe.webhookSecret': { pattern: /^whsec_\S{8,}$/, hint: "the webhook endpoint's signing secret (whsec_…)" },
  'epay.key': { pattern: /^\S{8,200}$/, hint: 'the merchant key (商户密钥), at least 8 characters' },
};

/**
 * Applies a partial change. The whole result is checked before anything is written (a provider can only be switched
 * on when it is able to take payments); then every row changes in one transaction.
 * An admin who points EPay at another gateway or merchant must send the key with it (as with channel keys): otherwise
 * an admin could send payment requests signed with a key the root configured to a merchant account of their own.
 */
export async function updatePaymentSettings(
  ctx: PaymentContext,
  patch: PaymentSettingsPatchBody,
  actor: { id: number; role: string },
): Promise<LoadedPaymentSettings> {
  const current = await loadPaymentSettings(ctx);
  const next: LoadedPaymentSettings = structuredClone(current);
  const secretChanges: Partial<Record<SecretName, string | null>> = {};

  const { secretKey, webhookSecret, ...stripe } = patch.stripe ?? {};
  const { key: epayKey, ...epay } = patch.epay ?? {};
  if (secretKey !== undefined) secretChanges['stripe.secretKey'] = secretKey;
  if (webhookSecret !== undefined) secretChanges['stripe.webhookSecret'] = webhookSecret;
  if (epayKey !== undefined) secretChanges['epay.key'] = epayKey;
  Object.assign(next.general, patch.general ?? {});
  Object.assign(next.stripe, stripe);
  Object.assign(next.epay, epay);
  Object.assign(next.telegramStars, patch.telegramStars ?? {});

  next.general.publicUrl = checkUrl(next.general.publicUrl, 'general.publicUrl');
  next.general.returnUrl = checkUrl(next.general.returnUrl, 'general.returnUrl');
  next.epay.gatewayUrl = checkUrl(next.epay.gatewayUrl, 'epay.gatewayUrl');
  next.epay.pid = next.epay.pid.trim();
  const g = next.general;
  if (g.minAmount > g.maxAmount) throw bad('general.minAmount', 'general.minAmount must not be above general.maxAmount');
  const outside = g.presets.find((p) => p < g.minAmount || p > g.maxAmount);
  if (outside !== undefined) throw bad('general.presets', `preset ${outside} is outside general.minAmount … general.maxAmount`);
  next.stripe.methods = [...new Set(next.stripe.methods)];
  next.epay.types = [...new Set(next.epay.types)];

  for (const [name, value] of Object.entries(secretChanges) as Array<[SecretName, string | null]>) {
    if (value === null) {
      delete next.secrets[name];
      delete next.masks[name];
      continue;
    }
    const secret = value.trim();
    if (!SECRET_SHAPES[name].pattern.test(secret)) throw bad(name, `${name} must be ${SECRET_SHAPES[name].hint}`);
    next.secrets[name] = secret;
    next.masks[name] = maskKey(secret);
    next.unreadable = next.unreadable.filter((n) => n !== name);
  }

  const movesEpay = next.epay.gatewayUrl !== current.epay.gatewayUrl || next.epay.pid !== current.epay.pid;
  if (movesEpay && actor.role !== 'root' && secretChanges['epay.key'] === undefined && current.secrets['epay.key']) {
    throw new RelayError(
      'forbidden',
      'changing epay.gatewayUrl or epay.pid needs epay.key in the same request (it is sent on with the new gateway), or the root',
      403,
      { param: 'epay.key' },
    );
  }

  for (const provider of ['stripe', 'epay', 'telegramStars'] as const) {
    if (!next[provider].enabled) continue;
    const problem = providerProblem(next, provider);
    if (problem) throw bad(`${provider}.enabled`, `${provider} cannot be enabled: ${problem}`);
  }

  const prisma = ctx.db.prisma;
  const parts = (Object.keys(PART_SCHEMAS) as SettingsPart[]).filter((p) => JSON.stringify(next[p]) !== JSON.stringify(current[p]));
  await prisma.$transaction([
    ...parts.map((name) => {
      const value = JSON.stringify(next[name]);
      return prisma.paymentSetting.upsert({ where: { name }, create: { name, value }, update: { value } });
    }),
    ...(Object.entries(secretChanges) as Array<[SecretName, string | null]>).map(([name, value]) => {
      if (value === null) return prisma.paymentSecret.deleteMany({ where: { name } });
      const sealed = ctx.secrets.seal(secretPurpose(name), next.secrets[name]!);
      const mask = next.masks[name]!;
      return prisma.paymentSecret.upsert({ where: { name }, create: { name, sealed, mask }, update: { sealed, mask } });
    }),
  ]);
  ctx.log.info(
    { by: actor.id, parts, secrets: Object.keys(secretChanges) },
    'payment settings changed',
  );
  return next;
}

/** The id of the master key that sealed a stored payment secret, if any is stored (no new master key may then be made). */
export async function paymentSecretsSealedWith(db: AppContext['db']): Promise<string | undefined> {
  const row = await db.prisma.paymentSecret.findFirst({ select: { sealed: true } });
  return row ? (sealedKeyId(row.sealed) ?? 'unknown') : undefined;
}

/** A master key rotation re-seals payment secrets too (called inside the rotation's transaction). */
export async function resealPaymentSecrets(
  tx: Pick<AppContext['db']['prisma'], 'paymentSecret'>,
  from: AppContext['secrets'],
  to: AppContext['secrets'],
): Promise<number> {
  const rows = await tx.paymentSecret.findMany();
  for (const row of rows) {
    const purpose = secretPurpose(row.name as SecretName);
    await tx.paymentSecret.update({ where: { name: row.name }, data: { sealed: to.seal(purpose, from.open(purpose, row.sealed)) } });
  }
  return rows.length;
}
