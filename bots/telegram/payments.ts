// Telegram Stars updates: pre_checkout_query (answered well inside Telegram's 10-second deadline: the order must still
// be payable, by this user, for this amount), successful_payment (credits the order, once per charge id; retried a few
// times because Telegram does not deliver the update again), and refunded_payment (records a refund). The "money
// arrived" message goes out through the notification path like every provider's.
import type { Bot } from 'grammy';
import type { BotPayments } from '../core/backend.js';
import type { BotLogger } from '../core/errors.js';
import { langOf, payText } from '../core/payment-texts.js';

/** Telegram drops a pre-checkout query that is not answered within 10 s; answer "no" well before. */
const PRE_CHECKOUT_BUDGET_MS = 7000;
const CREDIT_ATTEMPTS = 3;

export function installStarsPayments(bot: Bot, payments: BotPayments, log: BotLogger): void {
  bot.on('pre_checkout_query', async (ctx) => {
    const q = ctx.preCheckoutQuery;
    const check = payments.starsPreCheckout({ payload: q.invoice_payload, payerId: String(q.from.id), currency: q.currency, amount: q.total_amount });
    const refusal = await withDeadline(check, PRE_CHECKOUT_BUDGET_MS).catch((err: unknown) => {
      log.error({ err, payload: q.invoice_payload }, 'telegram pre-checkout check failed');
      return 'error' as const;
    });
    if (refusal === null) return void (await ctx.answerPreCheckoutQuery(true));
    await ctx.answerPreCheckoutQuery(false, { error_message: payText(langOf(q.from.language_code)).invoiceRefused[refusal] });
  });

  bot.on('message:successful_payment', async (ctx) => {
    const p = ctx.message.successful_payment;
    const payment = { payload: p.invoice_payload, payerId: String(ctx.from.id), currency: p.currency, amount: p.total_amount, chargeId: p.telegram_payment_charge_id };
    for (let attempt = 1; ; attempt++) {
      try {
        return await payments.starsPaid(payment);
      } catch (err) {
        if (attempt >= CREDIT_ATTEMPTS) {
          log.error({ err, payload: payment.payload, chargeId: payment.chargeId }, 'telegram stars payment could not be credited: mark the order paid by hand');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  });

  bot.on('message:refunded_payment', async (ctx) => {
    const r = ctx.message.refunded_payment;
    await payments.starsRefunded({ payload: r.invoice_payload, chargeId: r.telegram_payment_charge_id, amount: r.total_amount });
  });
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}
