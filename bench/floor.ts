// What the two floor proxies (bare-proxy.ts over undici, node-http-proxy.ts over node:http) share: the headers they
// pass on, and their life as a bench child.
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenForCommands, report } from './child.js';

// Connection-scoped headers belong to one hop; forwarding them would be wrong (and undici refuses some of them).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** Listens on 127.0.0.1, reports ready, answers `stats` with its RSS; when stdin ends, closes, releases, exits. */
export function serveFloor(server: Server, release: () => Promise<void> | void): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    report({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  listenForCommands(
    (command) => {
      if (command === 'stats') report({ type: 'stats', rss: process.memoryUsage().rss });
    },
    () => {
      server.closeAllConnections();
      server.close(() => void Promise.resolve(release()).then(() => process.exit(0)));
    },
  );
}
