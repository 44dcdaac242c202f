// Downloads a URL a client gave us (image parts) without letting it reach our own network (SSRF).
//
// Every hop (the URL and each redirect, followed by hand) goes through the same gate: http(s) only, no credentials,
// and every address the host stands for must pass the policy: a literal IP is checked before anything else; a
// hostname is resolved once and each of its addresses checked. The connection then goes through an undici Agent
// whose `connect.lookup` hands the socket exactly those checked addresses (pinned), so the IP we connect to is the IP
// we checked: a DNS answer that changes between check and connect (rebinding) cannot slip in. A host the lookup was
// not told about is resolved and checked there, at connect time, by the same rule.
//
// The default policy allows only globally routable unicast addresses (see isPublicAddress). The size limit is enforced
// while streaming and the timeout covers the whole download (DNS, connect, redirects and body).
//
// Refusals never say what a hostname resolved to, nor whether it resolved at all: the same answer for "internal",
// "private" and "does not exist", so the relay cannot be used to map a private network's names. A literal IP in the
// URL is named with its range (the client wrote it). Network errors are reported by code, never with an address.
import dns from 'node:dns';
import net from 'node:net';
import type { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { RelayError } from '../errors.js';
import { redactUrl } from '../auth/redact.js';

export type AddressPolicy = (ip: string) => boolean;
export type Resolver = (host: string) => Promise<string[]>;

export interface SafeFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** Accept header; defaults to images. */
  accept?: string;
  /** Which resolved/literal addresses may be contacted. Defaults to isPublicAddress. */
  policy?: AddressPolicy;
  /** Hostname → addresses. Defaults to the system resolver (node:dns lookup, all families). */
  resolve?: Resolver;
}

export interface SafeFetchResult {
  bytes: Buffer;
  contentType?: string;
  finalUrl: string;
}

/**
 * Globally routable unicast only. Refuses loopback, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16
 * incl. cloud metadata 169.254.169.254, fe80::/10), unique-local fc00::/7, CGNAT 100.64/10, 0.0.0.0/8, multicast,
 * broadcast, reserved and documentation ranges, NAT64 / 6to4 / Teredo (they embed IPv4 targets), IPv4-compatible
 * ::/96, and IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it maps.
 */
export function isPublicAddress(ip: string): boolean {
  return addressRange(ip) === 'unicast';
}

function addressRange(ip: string): string {
  if (!ipaddr.isValid(ip)) return 'invalid';
  let address = ipaddr.parse(ip);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) address = address.toIPv4Address();
  const range = address.range();
  // ::a.b.c.d (deprecated IPv4-compatible) is "unicast" to ipaddr.js but reaches the embedded IPv4 address.
  if (range === 'unicast' && address instanceof ipaddr.IPv6 && address.parts.slice(0, 6).every((p) => p === 0)) {
    return 'ipv4Compatible';
  }
  return range;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemResolve: Resolver = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const { maxBytes, timeoutMs, maxRedirects = 3, accept = 'image/*', policy = isPublicAddress } = options;
  const resolve = options.resolve ?? systemResolve;
  let current = parseTarget(url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const pinned = new Map<string, string[]>();
  // undici's full index (fetch, WebSocket, caches, …) is loaded when first needed, not at start (docs/performance.md).
  const { Agent, request } = await import('undici');
  const agent = new Agent({ connect: { timeout: timeoutMs, lookup: guardedLookup(policy, resolve, pinned) } });
  try {
    for (let hop = 0; ; hop++) {
      pinned.set(current.hostname, await checkedAddresses(current, resolve, policy, controller.signal));
      const response = await request(current, {
        method: 'GET',
        dispatcher: agent,
        signal: controller.signal,
        headers: { accept, 'user-agent': 'relay-station-image-fetch' },
      });
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
        discard(response.body);
        if (hop >= maxRedirects) throw unusable(`image download from ${current.host} redirected more than ${maxRedirects} times`);
        current = parseTarget(location, current);
        continue;
      }
      if (response.statusCode < 200 || response.statusCode > 299) {
        discard(response.body);
        throw unusable(`image download from ${current.host} failed: HTTP ${response.statusCode}`);
      }
      const contentType = response.headers['content-type'];
      const bytes = await readLimited(response.body, Number(response.headers['content-length']), maxBytes, current);
      return { bytes, contentType: typeof contentType === 'string' ? contentType : undefined, finalUrl: current.href };
    }
  } catch (error) {
    if (error instanceof RelayError) throw error;
    if (controller.signal.aborted) throw unusable(`image download from ${current.host} took longer than ${timeoutMs} ms`);
    throw unusable(`image download from ${current.host} failed: ${networkErrorCode(error)}`);
  } finally {
    clearTimeout(timer);
    await agent.destroy().catch(() => undefined);
  }
}

function parseTarget(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw refused(`"${redactUrl(raw.slice(0, 200))}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`only http and https URLs can be fetched, not ${url.protocol}`);
  if (url.username || url.password) throw refused('URLs with credentials are not fetched');
  return url;
}

/** The addresses this hop may connect to: the literal IP itself, or every address the hostname resolves to. */
async function checkedAddresses(url: URL, resolve: Resolver, policy: AddressPolicy, signal: AbortSignal): Promise<string[]> {
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(literal)) {
    const refusedAs = refusal(literal, policy);
    if (refusedAs) throw refused(`refusing to fetch ${url.host}: ${literal} is ${refusedAs}; only public addresses can be fetched`);
    return [literal];
  }
  const addresses = await abortable(resolve(url.hostname), signal).catch((error: unknown) => {
    if (signal.aborted) throw error;
    throw notPublic(url.hostname);
  });
  return checkResolved(url.hostname, addresses, policy);
}

/** Why an address is refused ("a loopback address"), or undefined when the policy allows it. */
function refusal(ip: string, policy: AddressPolicy): string | undefined {
  if (policy(ip)) return undefined;
  const range = addressRange(ip);
  return range === 'unicast' ? 'an address the policy does not allow' : `a ${range} address`;
}

/** A hostname's addresses, all allowed, or the one refusal that names none of them. */
function checkResolved(host: string, addresses: string[], policy: AddressPolicy): string[] {
  if (addresses.length === 0 || addresses.some((ip) => !policy(ip))) throw notPublic(host);
  return addresses;
}

const notPublic = (host: string) =>
  refused(`refusing to fetch ${host}: it does not resolve to a public address; only public addresses can be fetched`);

/** "ECONNREFUSED", "UND_ERR_SOCKET"…: what went wrong, without the address it went wrong at. */
function networkErrorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'network error';
}

type LookupCallback = (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect / undici's `connect` option: serves pinned, already-checked addresses; any other host
 * is resolved and checked now, and refused with image_fetch_refused if any of its addresses fails the policy.
 * Exported so other outbound clients (webhooks…) can use the same guard.
 */
export function guardedLookup(policy: AddressPolicy = isPublicAddress, resolve: Resolver = systemResolve, pinned = new Map<string, string[]>()) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    const known = pinned.get(hostname);
    const addresses = known
      ? Promise.resolve(known)
      : resolve(hostname).then(
          (found) => checkResolved(hostname, found, policy),
          () => Promise.reject(notPublic(hostname)),
        );
    addresses.then(
      (list) => {
        const entries = list.map((address) => ({ address, family: net.isIP(address) }));
        if (options.all) callback(null, entries);
        else callback(null, entries[0]!.address, entries[0]!.family);
      },
      (error: Error) => callback(error, ''),
    );
  };
}

type Body = Readable & AsyncIterable<Buffer>;

/** Drops a body we will not read. Destroying emits an abort error; nobody is waiting for it. */
function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readLimited(body: Body, declared: number, maxBytes: number, url: URL): Promise<Buffer> {
  const tooLarge = () => unusable(`image from ${url.host} is larger than the ${maxBytes}-byte limit`);
  if (declared > maxBytes) {
    discard(body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(body);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function refused(reason: string): RelayError {
  return new RelayError('image_fetch_refused', reason);
}

function unusable(reason: string): RelayError {
  return new RelayError('unsupported_image', reason);
}
