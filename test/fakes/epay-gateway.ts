// A fake EPay (易支付) gateway on 127.0.0.1, written from the protocol documents rather than from the relay's code, so a
// misreading on either side makes the tests fail: submit.php checks the merchant's signature, remembers the order and
// shows a cashier page whose button (pay.php) pays: the browser is sent back to return_url and notify_url is called;
// `notify()` plays the gateway calling notify_url (GET, or a POSTed form) and returns what the merchant answered.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomInt } from 'node:crypto';

export interface GatewayOrder {
  pid: string;
  type: string;
  out_trade_no: string;
  notify_url: string;
  return_url: string;
  name: string;
  money: string;
  trade_no: string;
}

/** The signature as the documents describe it: non-empty params but sign/sign_type, ASCII order, k=v&…, key, MD5. */
export function gatewaySign(params: Record<string, string>, key: string): string {
  const pairs = Object.entries(params)
    .filter(([name, value]) => value !== '' && name !== 'sign' && name !== 'sign_type')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('md5')
    .update(`${pairs.map(([name, value]) => `${name}=${value}`).join('&')}${key}`)
    .digest('hex');
}

export class FakeEpayGateway {
  readonly orders = new Map<string, GatewayOrder>();
  readonly refusedSubmits: string[] = [];
  /** The merchant's answers to the notifications sent after a buyer paid at the cashier (pay.php), by order. */
  readonly paid = new Map<string, Promise<{ status: number; text: string }>>();
  /**
   * While true, the notification of a payment waits for release(tradeNo): real gateways notify asynchronously, often
   * after the buyer's browser is back, and a test can look at that moment.
   */
  holdNotifications = false;
  readonly #held = new Map<string, () => void>();
  #server: Server;

  private constructor(
    readonly pid: string,
    readonly key: string,
    server: Server,
  ) {
    this.#server = server;
  }

  static async start(pid: string, key: string): Promise<FakeEpayGateway> {
    let fake: FakeEpayGateway | undefined;
    const server = createServer((req, res) => fake!.#handle(req, res));
    fake = new FakeEpayGateway(pid, key, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** What the buyer's browser does with the checkout link: open it (the gateway checks it). */
  async open(checkoutUrl: string): Promise<{ status: number; text: string }> {
    const res = await fetch(checkoutUrl);
    return { status: res.status, text: await res.text() };
  }

  /** The signed notification the gateway sends once the buyer paid. */
  notifyParams(outTradeNo: string, change: Partial<Record<string, string>> = {}, key = this.key): Record<string, string> {
    const order = this.orders.get(outTradeNo);
    if (!order) throw new Error(`the gateway never saw order ${outTradeNo}`);
    const params: Record<string, string> = {
      pid: order.pid,
      trade_no: order.trade_no,
      out_trade_no: order.out_trade_no,
      type: order.type,
      name: order.name,
      money: order.money,
      trade_status: 'TRADE_SUCCESS',
      param: '',
      ...(change as Record<string, string>),
    };
    return { ...params, sign: gatewaySign(params, key), sign_type: 'MD5' };
  }

  /** Calls notify_url as the gateway does (GET by default) and returns the merchant's answer. */
  async notify(outTradeNo: string, opts: { params?: Record<string, string>; method?: 'GET' | 'POST' } = {}): Promise<{ status: number; text: string }> {
    const order = this.orders.get(outTradeNo)!;
    const params = opts.params ?? this.notifyParams(outTradeNo);
    const body = new URLSearchParams(params).toString();
    const res =
      opts.method === 'POST'
        ? await fetch(order.notify_url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
        : await fetch(`${order.notify_url}?${body}`);
    return { status: res.status, text: await res.text() };
  }

  /** The buyer's browser sent back to return_url. */
  async returnTo(outTradeNo: string): Promise<Response> {
    const order = this.orders.get(outTradeNo)!;
    return fetch(`${order.return_url}?${new URLSearchParams(this.notifyParams(outTradeNo)).toString()}`, { redirect: 'manual' });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/pay.php') return this.#pay(url, res);
    if (url.pathname !== '/submit.php') return void res.writeHead(404).end('not found');
    const params = Object.fromEntries(url.searchParams);
    const expected = gatewaySign(params, this.key);
    if (params.pid !== this.pid || params.sign !== expected || params.sign_type !== 'MD5') {
      this.refusedSubmits.push(params.out_trade_no ?? '');
      return void res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('签名校验失败');
    }
    const order: GatewayOrder = {
      pid: params.pid!,
      type: params.type ?? '',
      out_trade_no: params.out_trade_no!,
      notify_url: params.notify_url!,
      return_url: params.return_url!,
      name: params.name!,
      money: params.money!,
      trade_no: `2026${randomInt(1e9, 9e9)}`,
    };
    this.orders.set(order.out_trade_no, order);
    // The cashier: a browser can pay here (pay.php), as the buyer would at a real gateway.
    const no = encodeURIComponent(order.out_trade_no);
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<html><body><h1>收银台 ${order.money}</h1><form action="/pay.php"><input type="hidden" name="out_trade_no" value="${no}"><button>确认支付</button></form></body></html>`);
  }

  /** Sends a held notification. */
  release(tradeNo: string): void {
    this.#held.get(tradeNo)?.();
  }

  /** The buyer paid: the browser goes back to return_url at once; the notification follows (see holdNotifications). */
  #pay(url: URL, res: ServerResponse): void {
    const tradeNo = url.searchParams.get('out_trade_no') ?? '';
    const order = this.orders.get(tradeNo);
    if (!order) return void res.writeHead(404).end('unknown order');
    const go = this.holdNotifications ? new Promise<void>((resolve) => this.#held.set(tradeNo, resolve)) : Promise.resolve();
    this.paid.set(tradeNo, go.then(() => this.notify(tradeNo)));
    res.writeHead(302, { location: `${order.return_url}?${new URLSearchParams(this.notifyParams(tradeNo)).toString()}` }).end();
  }
}
