// A local stand-in for the official QQ bot API (api.sgroup.qq.com + bots.qq.com): access-token exchange, gateway
// discovery, the WebSocket gateway (hello, IDENTIFY → READY, heartbeat acks) and the v2 send endpoints for C2C and group
// chats. It enforces the passive-reply rules the real platform applies (a reply names a message the user sent, at most
// five replies per message, each with a fresh msg_seq), so a bot that breaks them fails here as it would in production.
// The adapter keeps its production hosts; `redirectToFake` rewrites them to this server inside koishi.
import { createServer, type IncomingMessage as HttpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Waiters } from './waiters.js';
import { isRecord } from '../../src/providers/json.js';

export const QQ_MAX_REPLIES_PER_MESSAGE = 5;

export interface QqRecordedCall {
  method: string;
  /** Host the adapter meant to reach (bots.qq.com, api.sgroup.qq.com, sandbox.api.sgroup.qq.com). */
  host: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  appIdHeader: string | undefined;
}

/** A reply the bot sent, accepted or refused. */
export type QqScope = 'c2c' | 'group' | 'channel' | 'dms';

export interface QqReply {
  /**
   * 'c2c' (POST /v2/users/{openid}/messages), 'group' (POST /v2/groups/{group_openid}/messages), and in QQ guilds (频道)
   * 'channel' (POST /channels/{channel_id}/messages) or 'dms' (POST /dms/{guild_id}/messages).
   */
  scope: QqScope;
  target: string;
  content: string;
  msgId: string | undefined;
  msgSeq: number | undefined;
  accepted: boolean;
  /** QQ's error code when refused. */
  code?: number;
}

export interface FakeQqOptions {
  appId: string;
  secret: string;
  /** Answer this many token exchanges with an error first (connection-retry tests). */
  failTokenExchange?: number;
  /** Active (unprompted) messages accepted per chat; QQ rations them (default 0: all refused). */
  activeQuota?: number;
}

const ACCESS_TOKEN = 'fake-qq-access-token';

export class FakeQq {
  readonly calls: QqRecordedCall[] = [];
  readonly replies: QqReply[] = [];
  readonly identifies: Array<Record<string, unknown>> = [];
  readonly accessToken = ACCESS_TOKEN;
  readonly botUser = { id: '11223344556677889900', username: 'relay-qq-bot', bot: true };

  #server = createServer((req, res) => void this.#handle(req, res));
  #wss = new WebSocketServer({ noServer: true });
  #sockets = new Set<WebSocket>();
  #ready = new Set<WebSocket>();
  #seq = 0;
  #nextMessage = 1;
  /** msg_id the platform delivered → who may be answered with it, and the msg_seq values already used. */
  #delivered = new Map<string, { scope: QqScope; target: string; seqs: Set<number> }>();
  /** Active messages accepted so far, per chat. */
  #active = new Map<string, number>();
  /** Files users sent (attachments), served at /files/<name>. */
  #files = new Map<string, Buffer>();
  #failTokenExchange: number;
  readonly #waiting = new Waiters('fake QQ');

  constructor(readonly options: FakeQqOptions) {
    this.#failTokenExchange = options.failTokenExchange ?? 0;
    this.#server.on('upgrade', (req, socket, head) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#acceptGateway(ws));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Point a URL the adapter built for a QQ host at this server (in place: koishi's HTTP service passes the same URL
   * object on to fetch / WebSocket). Anything that is neither a QQ host nor loopback is refused, so a test can never
   * reach the internet.
   */
  redirect(url: URL): void {
    if (url.hostname === 'qq.com' || url.hostname.endsWith('.qq.com')) {
      // Keep the intended host visible to the fake (recorded with each call).
      url.searchParams.set('__host', url.hostname);
      url.protocol = url.protocol === 'wss:' || url.protocol === 'ws:' ? 'ws:' : 'http:';
      url.host = `127.0.0.1:${this.port}`;
      return;
    }
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
      throw new Error(`fake QQ: refusing to let a test reach ${url.host}`);
    }
  }

  /* ------------------------------------------------------------------ waiting */

  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    return this.#waiting.waitFor(check, timeoutMs, what);
  }

  /** READY was delivered and the bot has fetched its own profile (the adapter goes online right after). */
  waitForReady(timeoutMs = 5_000): Promise<true> {
    return this.waitFor(() => this.#ready.size > 0 && this.calls.some((c) => c.path === '/users/@me'), timeoutMs, 'READY');
  }

  repliesTo(msgId: string): QqReply[] {
    return this.replies.filter((r) => r.msgId === msgId);
  }

  /* ------------------------------------------------------------------ events */

  /**
   * Open a passive-reply window without dispatching anything: as if a message had arrived that the bot's own code
   * (not koishi) is answering. Returns the msg_id replies must name.
   */
  allowReplies(scope: 'c2c' | 'group', target: string): string {
    const id = `ROBOT1.0_${scope}_${this.#nextMessage++}`;
    this.#delivered.set(id, { scope, target, seqs: new Set() });
    return id;
  }

  /** A file a user sends, and the URL QQ's attachment would carry for it. */
  file(name: string, bytes: Buffer): { url: string; content_type: string; filename: string; size: number } {
    this.#files.set(name, bytes);
    return { url: `http://127.0.0.1:${this.port}/files/${name}`, content_type: 'image/png', filename: name, size: bytes.length };
  }

  /** Deliver a private (C2C) message from `openid`; returns the msg_id replies must name. */
  c2cMessage(openid: string, content: string, attachments: unknown[] = []): string {
    const id = `ROBOT1.0_c2c_${this.#nextMessage++}`;
    this.#delivered.set(id, { scope: 'c2c', target: openid, seqs: new Set() });
    this.#dispatch('C2C_MESSAGE_CREATE', {
      id,
      author: { id: openid, user_openid: openid, union_openid: `union-${openid}` },
      content,
      timestamp: new Date().toISOString(),
      attachments,
    });
    return id;
  }

  /** A message in a QQ guild (频道) channel that @-mentions the bot (AT_MESSAGE_CREATE). */
  guildAtMessage(guildId: string, channelId: string, userId: string, content: string): string {
    return this.#guildEvent('AT_MESSAGE_CREATE', 'channel', channelId, userId, {
      guild_id: guildId,
      channel_id: channelId,
      member: { nick: '', roles: ['1'], joined_at: new Date(0).toISOString() },
      content: `<@!${this.botUser.id}> ${content}`,
    });
  }

  /** A direct message inside a QQ guild (DIRECT_MESSAGE_CREATE). */
  guildDirectMessage(dmGuildId: string, channelId: string, userId: string, content: string): string {
    return this.#guildEvent('DIRECT_MESSAGE_CREATE', 'dms', dmGuildId, userId, {
      guild_id: dmGuildId,
      src_guild_id: 'SRC_GUILD',
      channel_id: channelId,
      direct_message: true,
      content,
    });
  }

  /** A guild message event whose replies go to `target` in `scope`. */
  #guildEvent(event: string, scope: 'channel' | 'dms', target: string, userId: string, fields: Record<string, unknown>): string {
    const id = `${scope}_${this.#nextMessage++}`;
    this.#delivered.set(id, { scope, target, seqs: new Set() });
    this.#dispatch(event, { id, author: { id: userId, username: `user-${userId}`, bot: false }, timestamp: new Date().toISOString(), seq: this.#nextMessage, ...fields });
    return id;
  }

  /** Drops every gateway connection (a network failure, or QQ restarting its gateway). */
  dropConnections(): void {
    for (const ws of this.#sockets) ws.terminate();
  }

  /** Gateway connections that identified or resumed. */
  get sessionsStarted(): number {
    return this.identifies.length + this.resumes;
  }

  resumes = 0;

  /** Deliver a group message that @-mentions the bot. */
  groupAtMessage(groupOpenid: string, memberOpenid: string, content: string): string {
    const id = `ROBOT1.0_group_${this.#nextMessage++}`;
    this.#delivered.set(id, { scope: 'group', target: groupOpenid, seqs: new Set() });
    this.#dispatch('GROUP_AT_MESSAGE_CREATE', {
      id,
      author: { id: memberOpenid, member_openid: memberOpenid, union_openid: `union-${memberOpenid}` },
      content: ` ${content}`,
      group_id: groupOpenid,
      group_openid: groupOpenid,
      timestamp: new Date().toISOString(),
      attachments: [],
    });
    return id;
  }

  #dispatch(event: string, data: unknown): void {
    if (this.#ready.size === 0) throw new Error(`fake QQ: no READY session to dispatch ${event} to`);
    for (const ws of this.#ready) {
      this.#seq += 1;
      ws.send(JSON.stringify({ op: 0, s: this.#seq, t: event, id: `${event}:${this.#seq}`, d: data }));
    }
  }

  #acceptGateway(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('close', () => {
      this.#sockets.delete(ws);
      this.#ready.delete(ws);
    });
    ws.on('message', (raw) => {
      let payload: { op?: number; d?: Record<string, unknown> };
      try {
        payload = JSON.parse(raw.toString()) as typeof payload;
      } catch {
        return;
      }
      if (payload.op === 1) {
        ws.send(JSON.stringify({ op: 11 }));
      } else if (payload.op === 6) {
        // RESUME: the adapter reconnecting with its session; answered like Discord does.
        this.resumes += 1;
        this.#seq += 1;
        ws.send(JSON.stringify({ op: 0, s: this.#seq, t: 'RESUMED', d: {} }));
        this.#ready.add(ws);
        this.#waiting.notify();
      } else if (payload.op === 2) {
        this.identifies.push(payload.d ?? {});
        if (payload.d?.['token'] !== `QQBot ${ACCESS_TOKEN}`) {
          ws.close(4004, 'invalid token');
          return;
        }
        this.#seq += 1;
        ws.send(
          JSON.stringify({
            op: 0,
            s: this.#seq,
            t: 'READY',
            d: { version: 1, session_id: `session-${this.#seq}`, user: this.botUser, shard: [0, 1] },
          }),
        );
        this.#ready.add(ws);
        this.#waiting.notify();
      }
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
  }

  /* ------------------------------------------------------------------ REST */

  async #handle(req: HttpRequest, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const file = /^\/files\/(.+)$/.exec(url.pathname);
    if (file) {
      const bytes = this.#files.get(file[1]!);
      return void (bytes ? res.writeHead(200, { 'content-type': 'image/png' }).end(bytes) : res.writeHead(404).end());
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    const call: QqRecordedCall = {
      method: req.method ?? 'GET',
      host: url.searchParams.get('__host') ?? '127.0.0.1',
      path: url.pathname,
      body,
      authorization: req.headers.authorization,
      appIdHeader: header(req, 'x-union-appid'),
    };
    this.calls.push(call);
    const [status, answer] = this.#route(call);
    res.writeHead(status, { 'content-type': 'application/json', 'x-tps-trace-id': 'fake-trace' }).end(JSON.stringify(answer));
    this.#waiting.notify();
  }

  #route(call: QqRecordedCall): [number, unknown] {
    const body = isRecord(call.body) ? call.body : {};
    if (call.method === 'POST' && call.path === '/app/getAppAccessToken') {
      if (this.#failTokenExchange > 0) {
        this.#failTokenExchange -= 1;
        return [500, { code: 100016, message: 'internal error' }];
      }
      if (body['appId'] !== this.options.appId || body['clientSecret'] !== this.options.secret) {
        return [200, { code: 100016, message: 'invalid appid or secret' }];
      }
      return [200, { access_token: ACCESS_TOKEN, expires_in: '7200' }];
    }
    if (call.authorization !== `QQBot ${ACCESS_TOKEN}` || call.appIdHeader !== this.options.appId) {
      return [401, { code: 11244, message: 'token not exist or expire' }];
    }
    if (call.method === 'GET' && call.path === '/gateway') {
      return [200, { url: 'wss://api.sgroup.qq.com/websocket' }];
    }
    if (call.method === 'GET' && call.path === '/users/@me') {
      return [200, { ...this.botUser, avatar: '', union_openid: '', union_user_account: '' }];
    }
    let m: RegExpMatchArray | null;
    if (call.method === 'POST' && (m = call.path.match(/^\/v2\/(users|groups)\/([^/]+)\/messages$/))) {
      return this.#reply(m[1] === 'users' ? 'c2c' : 'group', decodeURIComponent(m[2]!), body);
    }
    if (call.method === 'POST' && (m = call.path.match(/^\/(channels|dms)\/([^/]+)\/messages$/))) {
      return this.#reply(m[1] === 'channels' ? 'channel' : 'dms', decodeURIComponent(m[2]!), body);
    }
    return [404, { code: 404, message: `fake QQ has no route ${call.method} ${call.path}` }];
  }

  #reply(scope: QqScope, target: string, body: Record<string, unknown>): [number, unknown] {
    const reply: QqReply = {
      scope,
      target,
      content: typeof body['content'] === 'string' ? body['content'] : '',
      msgId: typeof body['msg_id'] === 'string' ? body['msg_id'] : undefined,
      msgSeq: typeof body['msg_seq'] === 'number' ? body['msg_seq'] : undefined,
      accepted: false,
    };
    this.replies.push(reply);
    const refuse = (code: number, message: string): [number, unknown] => {
      reply.code = code;
      return [400, { code, err_code: code, message, trace_id: 'fake-trace' }];
    };
    // Active (unprompted) messages are rationed on the real platform: accepted only while this chat's quota lasts.
    if (!reply.msgId) {
      const used = this.#active.get(`${scope}:${target}`) ?? 0;
      if (used >= (this.options.activeQuota ?? 0)) return refuse(40034024, 'active message not allowed');
      this.#active.set(`${scope}:${target}`, used + 1);
      reply.accepted = true;
      return [200, { id: `ROBOT1.0_active_${this.#nextMessage++}`, timestamp: new Date().toISOString() }];
    }
    const origin = this.#delivered.get(reply.msgId);
    if (!origin || origin.scope !== scope || origin.target !== target) return refuse(40034025, 'msg_id does not match');
    if (origin.seqs.size >= QQ_MAX_REPLIES_PER_MESSAGE) return refuse(40034026, 'passive reply limit exceeded');
    // Guild channels count replies without a msg_seq.
    const seq = scope === 'channel' || scope === 'dms' ? origin.seqs.size + 1 : (reply.msgSeq ?? 1);
    if (origin.seqs.has(seq)) return refuse(40054005, 'duplicate msg_seq');
    origin.seqs.add(seq);
    reply.accepted = true;
    return [200, { id: `ROBOT1.0_reply_${this.#nextMessage++}`, timestamp: new Date().toISOString() }];
  }
}

function header(req: HttpRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}


async function readBody(req: HttpRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
