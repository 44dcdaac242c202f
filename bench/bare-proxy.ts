// Bench child: the undici floor — accept the request, forward it over an undici keep-alive pool, pipe the
// answer back as it arrives (streams included). No auth, no parsing, no billing: the relay forwards with undici too.
// Upstream from UPSTREAM_URL; prints {"type":"ready","url":…}.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { endToEnd, serveFloor } from './floor.js';

const upstreamUrl = process.env.UPSTREAM_URL;
if (!upstreamUrl) throw new Error('UPSTREAM_URL is required');

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
serveFloor(server, () => pool.close());
