// Telegram Stars (currency XTR): the bot sends the invoice and receives pre_checkout_query and successful_payment
// (bots/telegram/payments.ts); this file holds what the relay itself needs: refunding a Star payment, which any
// instance with the bot token can do through the Bot API, whether or not the bot runs there.
import type { Config } from '../config.js';

/** Refunds one Star payment; a refusal or an unreachable Telegram is thrown as StarsRefundError (never with the token). */
export type StarsRefunder = (payerUserId: number, telegramPaymentChargeId: string) => Promise<void>;

export class StarsRefundError extends Error {
  override name = 'StarsRefundError';
}

export function telegramStarsRefunder(telegram: Config['telegram']): StarsRefunder | undefined {
  if (!telegram) return undefined;
  return async (payerUserId, chargeId) => {
    // grammY is loaded only when a refund is asked for: a relay without the bot never carries it.
    const { Api, GrammyError } = await import('grammy');
    const api = new Api(telegram.token, telegram.apiRoot ? { apiRoot: telegram.apiRoot } : undefined);
    try {
      await api.refundStarPayment(payerUserId, chargeId);
    } catch (err) {
      if (err instanceof GrammyError) throw new StarsRefundError(`Telegram refused the refund: ${err.description}`);
      throw new StarsRefundError('Telegram could not be reached for the refund; try again');
    }
  };
}
