// Bench child: the do-nothing floor — node:http in, node:http out. Each request is piped into an http.request to the
// upstream over a keep-alive Agent, and the answer piped back as it arrives (streams included). No parsing, no auth,
// no billing: the least CPU any Node.js relay can spend on a call. Upstream from UPSTREAM_URL; prints {"type":"ready",…}.
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenForCommands, report } from './child.js';

const upstreamUrl = process.env.UPSTREAM_URL;
if (!upstreamUrl) throw new Error('UPSTREAM_URL is required');
const upstream = new URL(upstreamUrl);

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const upstreamReq = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, endToEnd(upstreamRes.headers));
      upstreamRes.pipe(res);
    },
  );
  upstreamReq.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`node:http proxy: ${err.message}`);
    else res.destroy();
  });
  req.pipe(upstreamReq);
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
    server.close(() => {
      agent.destroy();
      process.exit(0);
    });
  },
);
