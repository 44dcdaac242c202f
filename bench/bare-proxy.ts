// Bench child: the undici floor — accept the request, forward it over an undici keep-alive pool, pipe the
// answer back as it arrives (streams included). No auth, no parsing, no billing: the relay forwards with undici too.
// Upstream from UPSTREAM_URL; prints {"type":"ready","url":…}.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { listenForCommands, report } from './child.js';

const upstreamUrl = process.env.UPSTREAM_URL;
if (!upstreamUrl) throw new Error('UPSTREAM_URL is required');

// Connection-scoped headers belong to one hop; forwarding them would be wrong (and undici refuses some of them).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const pool = new Pool(upstreamUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer(async (req, res) => {
  try {
    const upstream = await pool.request({
      method: req.method as 'POST',
      path: req.url ?? '/',
      headers: endToEnd(req.headers),
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
    });
    res.writeHead(upstream.statusCode, endToEnd(upstream.headers));
    await pipeline(upstream.body, res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`bare proxy: ${(err as Error).message}`);
    else res.destroy();
  }
});
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
    server.close(() => void pool.close().then(() => process.exit(0)));
  },
);
