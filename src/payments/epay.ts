// The EPay (易支付) protocol, as the common gateways implement it (docs/payments.md cites the sources):
//
//   pay:     the buyer opens <gateway>/submit.php?pid&type&out_trade_no&notify_url&return_url&name&money&sign&sign_type=MD5
//   notify:  the gateway calls notify_url (GET, some gateways POST a form) with pid, trade_no, out_trade_no, type, name,
//            money, trade_status, param, sign, sign_type; only trade_status=TRADE_SUCCESS is a payment; the merchant
//            answers the plain text "success", otherwise the gateway retries.
//   return:  the buyer's browser comes back to return_url with the same parameters (it proves nothing: never credit).
//   sign:    every parameter except sign, sign_type and empty values, sorted by name (ASCII), joined as k=v&k=v, the
//            merchant key appended directly, MD5, lower-case hex.
//
// Pure functions: no I/O, no settings lookup.
import { createHash, timingSafeEqual } from 'node:crypto';

export type EpayParams = Record<string, string>;

export function epaySign(params: EpayParams, key: string): string {
  const text = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type' && params[name] !== '' && params[name] !== undefined)
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  return createHash('md5').update(text + key, 'utf8').digest('hex');
}

/** Constant-time check of `sign` (case-insensitive hex, as gateways differ) against the parameters. */
export function epayVerify(params: EpayParams, key: string): boolean {
  const given = (params.sign ?? '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'utf8'), Buffer.from(epaySign(params, key), 'utf8'));
}

export interface EpayCheckout {
  gatewayUrl: string;
  pid: string;
  key: string;
  type: string;
  tradeNo: string;
  /** Major units with two decimals: "10.00". */
  money: string;
  name: string;
  notifyUrl: string;
  returnUrl: string;
}

/** The link the buyer opens: submit.php with the signed parameters in the query. */
export function epayCheckoutUrl(c: EpayCheckout): string {
  const params: EpayParams = {
    pid: c.pid,
    type: c.type,
    out_trade_no: c.tradeNo,
    notify_url: c.notifyUrl,
    return_url: c.returnUrl,
    name: c.name,
    money: c.money,
  };
  const url = new URL(`${c.gatewayUrl}/submit.php`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  url.searchParams.set('sign', epaySign(params, c.key));
  url.searchParams.set('sign_type', 'MD5');
  return url.toString();
}

/** A notify/return request's parameters, from the query and (for POSTed forms) the body; first value wins. */
export function epayParamsOf(query: unknown, body: unknown): EpayParams {
  const out: EpayParams = {};
  for (const source of [query, body]) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (name in out) continue;
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') out[name] = first;
    }
  }
  return out;
}
