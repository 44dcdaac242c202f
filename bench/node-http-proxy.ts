// Bench child: the do-nothing floor — node:http in, node:http out. Each request is piped into an http.request to the
// upstream over a keep-alive Agent, and the answer piped back as it arrives (streams included). No parsing, no auth,
// no billing: the least CPU any Node.js relay can spend on a call. Upstream from UPSTREAM_URL; prints {"type":"ready",…}.
import { Agent, createServer, request } from 'node:http';
import { endToEnd, serveFloor } from './floor.js';

const upstreamUrl = process.env.UPSTREAM_URL;
if (!upstreamUrl) throw new Error('UPSTREAM_URL is required');
const upstream = new URL(upstreamUrl);

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
serveFloor(server, () => agent.destroy());
