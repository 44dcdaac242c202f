// "Payment received, your balance is now …" in the chat the order came from, through the bots' notification path
// (TransportRegistry.sendToUser). The payment may be confirmed on any instance while the bots run on one, so this
// instance claims the notices itself, from the database (each order once: notifiedAt), when it hears of a payment:
// from its own PaymentService at once, from other instances through the bus topic `payments` (Redis), and every
// 30 seconds in case a message was lost. Platforms that can only answer (QQ's official API) get no notice: /recharge
// orders shows the status there.
import { formatMoney } from '../../src/payments/money.js';
import { claimPaidNotices, ORDER_SOURCES, type OrderSource } from '../../src/payments/orders.js';
import type { PaymentService } from '../../src/payments/service.js';
import type { BotLogger } from './errors.js';
import type { TransportRegistry } from './notifications.js';
import { langOf, payText, unitsText } from './payment-texts.js';
import type { Platform } from './types.js';

export interface PaymentNoticeOptions {
  /** The periodic sweep (default 30 s). */
  sweepMs?: number;
}

export function connectPaymentNotices(
  payments: PaymentService,
  registry: TransportRegistry,
  log: BotLogger,
  opts: PaymentNoticeOptions = {},
): () => void {
  let running: Promise<void> | null = null;
  let again = false;

  const deliverAll = async (): Promise<void> => {
    do {
      again = false;
      const platforms = ORDER_SOURCES.filter((p): p is OrderSource & Platform => p !== 'console' && !!registry.get(p)?.sendToUser);
      for (const { order, balance } of await claimPaidNotices(payments.ctx, platforms)) {
        const lang = langOf(order.locale);
        const text = payText(lang).paid({
          amount: formatMoney(order.amount, order.currency),
          tradeNo: order.tradeNo,
          units: unitsText(lang, Number(order.quota)),
          balance: unitsText(lang, balance),
        });
        await registry.sendToUser({ platform: order.source as Platform, platformUserId: order.chatUserId! }, { text }, log);
      }
    } while (again);
  };

  const trigger = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = deliverAll()
      .catch((err: unknown) => log.warn({ err }, 'payment notices could not be sent'))
      .finally(() => (running = null));
  };

  payments.events.on('paid', trigger);
  const unsubscribe = payments.ctx.bus.subscribe('payments', trigger);
  const timer = setInterval(trigger, opts.sweepMs ?? 30_000);
  timer.unref();
  trigger();
  return () => {
    payments.events.off('paid', trigger);
    unsubscribe();
    clearInterval(timer);
  };
}
