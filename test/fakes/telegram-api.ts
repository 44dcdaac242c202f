// A fake Telegram Bot API on 127.0.0.1 speaking the real wire format: POST /bot<token>/<method> with a JSON body,
// answered with {ok:true,result} or {ok:false,error_code,description[,parameters]}. getUpdates long-polls the queued
// updates; editMessageText refuses unchanged text ("message is not modified") as Telegram does; messages longer than
// 4096 characters are refused. Every call is recorded, and the chats are kept as a user would see them.
// Payments in Telegram Stars: sendInvoice (XTR, one price, no provider token), the buyer's side (`preCheckout`, then
// `pay` once the bot said ok), answerPreCheckoutQuery, and refundStarPayment, which also sends the bot the
// refunded_payment message as Telegram does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface FakeMessage {
  message_id: number;
  chatId: number;
  text: string;
  reply_markup: unknown;
  edits: number;
  /** Set for invoices (sendInvoice). */
  invoice?: FakeInvoice;
}

export interface FakeInvoice {
  title: string;
  description: string;
  payload: string;
  currency: string;
  total_amount: number;
}

/** A Star payment the fake knows of (refundStarPayment checks against these). */
interface StarPayment {
  userId: number;
  chargeId: string;
  invoice: FakeInvoice;
  chatId: number;
  refunded: boolean;
}

interface Update {
  update_id: number;
  [k: string]: unknown;
}

interface Waiter {
  offset: number;
  respond: (updates: Update[]) => void;
}

export interface ChatUser {
  id: number;
  first_name: string;
  username?: string;
}

export const BOT_USER = { id: 424242, is_bot: true, first_name: 'Relay', username: 'relay_test_bot' };

export class FakeTelegramApi {
  readonly calls: ApiCall[] = [];
  /** Refusals the fake sent (e.g. "message is not modified"), to assert the bot never provoked them. */
  readonly refusals: Array<{ method: string; description: string }> = [];
  readonly messages: FakeMessage[] = [];
  #server: Server;
  #updates: Update[] = [];
  #waiters: Waiter[] = [];
  #nextUpdateId = 1;
  #nextMessageId = 1;
  #failures: Array<{ method: string; status: number; body: Record<string, unknown> }> = [];
  readonly #starPayments: StarPayment[] = [];
  #listeners = new Set<() => void>();

  private constructor(
    readonly token: string,
    server: Server,
  ) {
    this.#server = server;
  }

  static async start(token: string): Promise<FakeTelegramApi> {
    let fake: FakeTelegramApi | undefined;
    const server = createServer((req, res) => void fake!.#handle(req, res));
    fake = new FakeTelegramApi(token, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The apiRoot to give grammY. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const waiter of this.#waiters.splice(0)) waiter.respond([]);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /* ------------------------------------------------------------------ driving the bot -------------------------- */

  /** A user writes in a chat (private when chatId is the user's id). Returns the update id. */
  sendText(from: ChatUser, text: string, chatId: number = from.id): number {
    const chat = chatId === from.id ? { id: chatId, type: 'private', first_name: from.first_name } : { id: chatId, type: 'group', title: 'Test group' };
    const message_id = this.#nextMessageId++;
    return this.pushUpdate({ message: { message_id, from: { ...from, is_bot: false }, chat, date: now(), text } });
  }

  /** A user presses an inline button under one of the bot's messages. */
  pressButton(from: ChatUser, message: FakeMessage, data: string): number {
    const chat = message.chatId === from.id ? { id: message.chatId, type: 'private', first_name: from.first_name } : { id: message.chatId, type: 'group', title: 'Test group' };
    return this.pushUpdate({
      callback_query: {
        id: `cb${this.#nextUpdateId}`,
        from: { ...from, is_bot: false },
        chat_instance: '1',
        data,
        message: { message_id: message.message_id, chat, date: now(), text: message.text, from: BOT_USER },
      },
    });
  }

  /** The buyer taps "Pay" on an invoice: Telegram asks the bot first (pre_checkout_query). Returns the query id. */
  preCheckout(from: ChatUser & { language_code?: string }, invoice: FakeMessage): string {
    const id = `pcq${this.#nextUpdateId}`;
    const i = invoice.invoice!;
    this.pushUpdate({ pre_checkout_query: { id, from: { ...from, is_bot: false }, currency: i.currency, total_amount: i.total_amount, invoice_payload: i.payload } });
    return id;
  }

  /** The bot's answer to a pre-checkout query, once it came. */
  preCheckoutAnswer(id: string): Record<string, unknown> | undefined {
    return this.callsOf('answerPreCheckoutQuery').find((c) => c.payload.pre_checkout_query_id === id)?.payload;
  }

  /** The payment went through: the bot gets the successful_payment message (as often as a test repeats it). */
  pay(from: ChatUser, invoice: FakeMessage, chargeId: string): number {
    const i = invoice.invoice!;
    if (!this.#starPayments.some((p) => p.chargeId === chargeId)) {
      this.#starPayments.push({ userId: from.id, chargeId, invoice: i, chatId: invoice.chatId, refunded: false });
    }
    return this.pushUpdate({
      message: {
        message_id: this.#nextMessageId++,
        from: { ...from, is_bot: false },
        chat: { id: invoice.chatId, type: 'private', first_name: from.first_name },
        date: now(),
        successful_payment: {
          currency: i.currency,
          total_amount: i.total_amount,
          invoice_payload: i.payload,
          telegram_payment_charge_id: chargeId,
          provider_payment_charge_id: '',
        },
      },
    });
  }

  pushUpdate(update: Record<string, unknown>): number {
    const update_id = this.#nextUpdateId++;
    this.#updates.push({ update_id, ...update });
    this.#waiters = this.#waiters.filter((waiter) => !this.#deliver(waiter));
    return update_id;
  }

  /** The next call of `method` fails with this status and body (e.g. 429 with parameters.retry_after). */
  failNext(method: string, status: number, body: Record<string, unknown>): void {
    this.#failures.push({ method, status, body });
  }

  /* ------------------------------------------------------------------ reading the chats ------------------------ */

  chat(chatId: number): FakeMessage[] {
    return this.messages.filter((m) => m.chatId === chatId);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits (bounded) until the predicate holds; checked after every API call and every 10 ms. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    const first = check();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#listeners.delete(done);
      };
      const done = (): void => {
        const value = check();
        if (!value) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake telegram: timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(done, 10);
      this.#listeners.add(done);
    });
  }

  /* ------------------------------------------------------------------ the API ---------------------------------- */

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !match) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== this.token) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2]!;
    const raw = Buffer.concat(chunks).toString('utf8');
    const payload = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    this.calls.push({ method, payload, at: Date.now() });

    const failure = this.#failures.findIndex((f) => f.method === method);
    if (failure >= 0) {
      const [f] = this.#failures.splice(failure, 1);
      send(res, f!.status, f!.body);
      return this.#notify();
    }
    if (method === 'getUpdates') {
      this.#getUpdates(payload, res);
      return this.#notify();
    }
    try {
      send(res, 200, { ok: true, result: this.#call(method, payload) });
    } catch (err) {
      const description = (err as Error).message;
      this.refusals.push({ method, description });
      send(res, 400, { ok: false, error_code: 400, description });
    }
    this.#notify();
  }

  #call(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'getMe':
        return { ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case 'deleteWebhook':
      case 'setWebhook':
      case 'answerCallbackQuery':
        return true;
      case 'setMyCommands': {
        const commands = p.commands as Array<{ command: string; description: string }>;
        for (const c of commands) {
          if (!/^[a-z0-9_]{1,32}$/.test(c.command)) throw new Error('Bad Request: BOT_COMMAND_INVALID');
          if (!c.description || c.description.length > 256) throw new Error('Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
        }
        return true;
      }
      case 'sendMessage': {
        const text = String(p.text ?? '');
        if (!text.trim()) throw new Error('Bad Request: message text is empty');
        if (text.length > 4096) throw new Error('Bad Request: message is too long');
        const message: FakeMessage = { message_id: this.#nextMessageId++, chatId: Number(p.chat_id), text, reply_markup: p.reply_markup, edits: 0 };
        this.messages.push(message);
        return { message_id: message.message_id, from: BOT_USER, chat: { id: message.chatId, type: message.chatId > 0 ? 'private' : 'group' }, date: now(), text };
      }
      case 'editMessageText': {
        const message = this.messages.find((m) => m.chatId === Number(p.chat_id) && m.message_id === Number(p.message_id));
        if (!message) throw new Error('Bad Request: message to edit not found');
        const text = String(p.text ?? '');
        if (!text.trim()) throw new Error('Bad Request: message text is empty');
        if (text.length > 4096) throw new Error('Bad Request: MESSAGE_TOO_LONG');
        if (text === message.text && JSON.stringify(p.reply_markup) === JSON.stringify(message.reply_markup)) {
          throw new Error(
            'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
          );
        }
        message.text = text;
        message.reply_markup = p.reply_markup;
        message.edits++;
        return { message_id: message.message_id, from: BOT_USER, chat: { id: message.chatId, type: 'private' }, date: now(), text };
      }
      case 'sendInvoice': {
        const prices = p.prices as Array<{ label: string; amount: number }>;
        if (p.currency === 'XTR' && (prices.length !== 1 || (p.provider_token !== undefined && p.provider_token !== ''))) {
          throw new Error('Bad Request: Stars invoices need exactly one price and an empty provider token');
        }
        const invoice: FakeInvoice = {
          title: String(p.title),
          description: String(p.description),
          payload: String(p.payload),
          currency: String(p.currency),
          total_amount: prices.reduce((sum, price) => sum + price.amount, 0),
        };
        if (invoice.title.length < 1 || invoice.title.length > 32) throw new Error('Bad Request: INVOICE_TITLE_INVALID');
        if (Buffer.byteLength(invoice.payload) > 128) throw new Error('Bad Request: INVOICE_PAYLOAD_INVALID');
        const message: FakeMessage = { message_id: this.#nextMessageId++, chatId: Number(p.chat_id), text: '', reply_markup: p.reply_markup, edits: 0, invoice };
        this.messages.push(message);
        return { message_id: message.message_id, from: BOT_USER, chat: { id: message.chatId, type: 'private' }, date: now(), invoice: { ...invoice, start_parameter: '' } };
      }
      case 'answerPreCheckoutQuery':
        if (p.ok === false && !p.error_message) throw new Error('Bad Request: error_message is required when ok is false');
        return true;
      case 'refundStarPayment': {
        const payment = this.#starPayments.find((x) => x.chargeId === p.telegram_payment_charge_id && x.userId === Number(p.user_id));
        if (!payment) throw new Error('Bad Request: CHARGE_NOT_FOUND');
        if (payment.refunded) throw new Error('Bad Request: CHARGE_ALREADY_REFUNDED');
        payment.refunded = true;
        const { invoice } = payment;
        // Telegram tells the bot in the buyer's chat.
        setTimeout(() =>
          this.pushUpdate({
            message: {
              message_id: this.#nextMessageId++,
              from: { id: payment.userId, is_bot: false, first_name: 'Buyer' },
              chat: { id: payment.chatId, type: 'private', first_name: 'Buyer' },
              date: now(),
              refunded_payment: { currency: invoice.currency, total_amount: invoice.total_amount, invoice_payload: invoice.payload, telegram_payment_charge_id: payment.chargeId },
            },
          }),
        );
        return true;
      }
      default:
        throw new Error(`Bad Request: method ${method} is not faked`);
    }
  }

  #getUpdates(payload: Record<string, unknown>, res: ServerResponse): void {
    const offset = typeof payload.offset === 'number' ? payload.offset : 0;
    // Telegram forgets updates below the offset: they were confirmed.
    this.#updates = this.#updates.filter((u) => u.update_id >= offset);
    const timeoutMs = Math.min(Number(payload.timeout ?? 0), 5) * 1000;
    const waiter: Waiter = {
      offset,
      respond: (updates) => {
        clearTimeout(timer);
        if (!res.writableEnded) send(res, 200, { ok: true, result: updates });
      },
    };
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.respond([]);
    }, timeoutMs);
    res.on('close', () => {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    });
    if (!this.#deliver(waiter)) this.#waiters.push(waiter);
  }

  #deliver(waiter: Waiter): boolean {
    const ready = this.#updates.filter((u) => u.update_id >= waiter.offset);
    if (ready.length === 0) return false;
    waiter.respond(ready);
    return true;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
