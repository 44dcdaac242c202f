// A local stand-in for Discord: the REST routes discord.js uses (gateway discovery, command registration,
// interaction callbacks, webhook edits and follow-ups, channel messages) and a JSON gateway (hello, identify → READY,
// heartbeat acks) that dispatches INTERACTION_CREATE / MESSAGE_CREATE when a test asks. Every REST call is recorded,
// and every message the bot wrote is kept with its latest content so tests can assert on what a user would see.
import { createServer, type IncomingMessage as HttpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Waiters } from './waiters.js';
import { isRecord } from '../../src/providers/json.js';

export interface RecordedCall {
  method: string;
  /** Path below the API root, without the version prefix, still URL-encoded ("/webhooks/1/t/messages/%40original"). */
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

/** A message the bot posted (channel message, interaction reply or follow-up), with its latest state. */
export interface FakeMessage {
  id: string;
  channelId: string;
  /** The interaction token it belongs to (interaction replies and follow-ups). */
  interactionToken?: string;
  /** '@original' for an interaction's deferred reply, 'followup' or 'channel'. */
  kind: 'original' | 'followup' | 'channel';
  content: string;
  flags: number;
  components: unknown[];
  edits: number;
  /** The message it replies to (message_reference). */
  replyTo?: string;
}

export interface DiscordUserShape {
  id: string;
  username: string;
  global_name?: string | null;
}

export interface CommandOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  /** Sub-command options. */
  options?: CommandOption[];
  focused?: boolean;
}

export interface SlashCommandInput {
  name: string;
  /** Options as Discord sends them: [{ name: 'name', type: 3, value: 'vip' }], or a sub-command with its options. */
  options?: CommandOption[];
  user?: DiscordUserShape;
  channelId?: string;
  /** Present for a guild channel; absent for a DM. */
  guildId?: string;
  /** The user's client language (default en-US). */
  locale?: string;
  /** Attachments referenced by attachment options (type 11, value = the id). */
  attachments?: Array<{ id: string; filename: string; contentType: string; bytes: Buffer }>;
}

export interface ButtonPressInput {
  customId: string;
  user?: DiscordUserShape;
  channelId?: string;
  guildId?: string;
}

export interface FakeDiscordOptions {
  applicationId: string;
  botUserId?: string;
  /** Answer this many `GET /gateway/bot` calls with 502 first (connection-retry tests). */
  failGatewayDiscovery?: number;
  heartbeatIntervalMs?: number;
  /** Servers the bot is in (sent as GUILD_CREATE after READY, as Discord does), each with its text channels. */
  guilds?: Array<{ id: string; channels: string[] }>;
}

const BASE_SNOWFLAKE = 1_300_000_000_000_000_000n;

/** What every message object carries and these tests never vary. */
const PLAIN_MESSAGE = { tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false };

export class FakeDiscord {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly identifies: unknown[] = [];
  /** Commands as last registered, keyed by scope ('global' or the guild id). */
  readonly registeredCommands = new Map<string, Array<Record<string, unknown>>>();
  readonly applicationId: string;
  readonly botUserId: string;
  readonly defaultUser: DiscordUserShape = { id: '400000000000000001', username: 'alice', global_name: 'Alice' };

  #server = createServer((req, res) => void this.#handle(req, res));
  #wss = new WebSocketServer({ noServer: true });
  #sockets = new Set<WebSocket>();
  #readySockets = new Set<WebSocket>();
  #seq = 0;
  #nextId = BASE_SNOWFLAKE;
  #failGatewayDiscovery: number;
  #heartbeatIntervalMs: number;
  #guilds: Array<{ id: string; channels: string[] }>;
  readonly #waiting = new Waiters('fake Discord');
  #dmChannels = new Map<string, string>();
  /** Files users attached, served at /attachments/<id>/<name>. */
  #attachments = new Map<string, { contentType: string; bytes: Buffer }>();

  constructor(options: FakeDiscordOptions) {
    this.applicationId = options.applicationId;
    this.botUserId = options.botUserId ?? '500000000000000001';
    this.#failGatewayDiscovery = options.failGatewayDiscovery ?? 0;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
    this.#guilds = options.guilds ?? [];
    this.#server.on('upgrade', (req, socket, head) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#acceptGateway(ws));
    });
  }

  /** Start listening on 127.0.0.1 (port 0) and return the REST root discord.js should use (`…/api`). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.apiRoot;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The DM channel between the bot and a user (stable, as on Discord). */
  dmChannelFor(userId: string): string {
    let id = this.#dmChannels.get(userId);
    if (!id) {
      id = this.snowflake();
      this.#dmChannels.set(userId, id);
    }
    return id;
  }

  snowflake(): string {
    this.#nextId += 1n;
    return this.#nextId.toString();
  }

  /* ------------------------------------------------------------------ waiting */

  /** Resolve when `check` returns a value (re-checked after every REST call and gateway event), or fail after `timeoutMs`. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    return this.#waiting.waitFor(check, timeoutMs, what);
  }

  /** Wait until a bot session has identified and received READY. */
  waitForReady(timeoutMs = 5_000): Promise<true> {
    return this.waitFor(() => this.#readySockets.size > 0, timeoutMs, 'READY');
  }

  callsTo(method: string, pathPattern: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && pathPattern.test(c.path));
  }

  messagesFor(interactionToken: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.interactionToken === interactionToken);
  }

  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId && m.kind === 'channel');
  }

  /* ------------------------------------------------------------------ gateway */

  /** Send a dispatch event (op 0) to every identified bot session. */
  dispatch(event: string, data: unknown): void {
    if (this.#readySockets.size === 0) throw new Error(`fake Discord: no READY session to dispatch ${event} to`);
    for (const ws of this.#readySockets) this.#sendDispatch(ws, event, data);
  }

  /** Where the bot downloads a user's attachment from (the CDN, here). */
  attachmentUrl(id: string, filename: string): string {
    return `http://127.0.0.1:${this.port}/attachments/${id}/${filename}`;
  }

  #attachmentJson(a: { id: string; filename: string; contentType: string; bytes: Buffer }) {
    this.#attachments.set(a.id, { contentType: a.contentType, bytes: a.bytes });
    const url = this.attachmentUrl(a.id, a.filename);
    return { id: a.id, filename: a.filename, content_type: a.contentType, size: a.bytes.length, url, proxy_url: url };
  }

  /** Dispatch a slash command; returns the interaction token the replies will be filed under. */
  slashCommand(input: SlashCommandInput): { id: string; token: string } {
    const resolved = input.attachments?.length
      ? { resolved: { attachments: Object.fromEntries(input.attachments.map((a) => [a.id, this.#attachmentJson(a)])) } }
      : {};
    return this.#command(2, input, resolved);
  }

  /** Dispatch an autocomplete request (type 4): `options` carry the one being typed with `focused: true`. */
  autocomplete(input: SlashCommandInput): { id: string; token: string } {
    return this.#command(4, input, {});
  }

  #command(type: 2 | 4, input: SlashCommandInput, extra: Record<string, unknown>): { id: string; token: string } {
    const id = this.snowflake();
    const token = `itoken-${id}`;
    this.dispatch('INTERACTION_CREATE', {
      id,
      token,
      application_id: this.applicationId,
      type,
      version: 1,
      data: { id: this.snowflake(), name: input.name, type: 1, options: input.options ?? [], ...extra },
      ...this.#where(input.user ?? this.defaultUser, input.channelId, input.guildId),
      locale: input.locale ?? 'en-US',
      app_permissions: '0',
      entitlements: [],
      authorizing_integration_owners: {},
    });
    return { id, token };
  }

  /** A message in a server channel; `mentionBot` puts "<@bot>" in front and the bot in `mentions`, as Discord does. */
  guildMessage(content: string, options: { guildId: string; channelId: string; user?: DiscordUserShape; mentionBot?: boolean }): string {
    const bot = { id: this.botUserId, username: 'relay-bot', discriminator: '0', global_name: null, avatar: null, bot: true };
    return this.#messageCreate(options.user ?? this.defaultUser, {
      channel_id: options.channelId,
      guild_id: options.guildId,
      channel_type: 0,
      member: { roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false },
      content: options.mentionBot ? `<@${this.botUserId}> ${content}` : content,
      mentions: options.mentionBot ? [bot] : [],
    });
  }

  /** MESSAGE_CREATE from `user`, with the fields every message has. */
  #messageCreate(user: DiscordUserShape, fields: Record<string, unknown>): string {
    const id = this.snowflake();
    this.dispatch('MESSAGE_CREATE', {
      id,
      author: this.#userJson(user),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      ...PLAIN_MESSAGE,
      type: 0,
      ...fields,
    });
    return id;
  }

  /** Dispatch a button press on a message the bot sent earlier. */
  buttonPress(input: ButtonPressInput): { id: string; token: string } {
    const id = this.snowflake();
    const token = `itoken-${id}`;
    const user = input.user ?? this.defaultUser;
    const where = this.#where(user, input.channelId, input.guildId);
    this.dispatch('INTERACTION_CREATE', {
      id,
      token,
      application_id: this.applicationId,
      type: 3,
      version: 1,
      data: { custom_id: input.customId, component_type: 2 },
      message: this.#messageJson({
        id: this.snowflake(),
        channelId: where.channel_id,
        kind: 'channel',
        content: '',
        flags: 0,
        components: [],
        edits: 0,
      }),
      ...where,
      locale: 'en-US',
      app_permissions: '0',
      entitlements: [],
      authorizing_integration_owners: {},
    });
    return { id, token };
  }

  /** Dispatch a DM from a user to the bot. */
  directMessage(content: string, options: { user?: DiscordUserShape; channelId?: string } = {}): string {
    const user = options.user ?? this.defaultUser;
    return this.#messageCreate(user, {
      channel_id: options.channelId ?? this.dmChannelFor(user.id),
      // Discord names the channel type on message events; discord.js needs it to build an uncached DM channel.
      channel_type: 1,
      content,
    });
  }

  #where(user: DiscordUserShape, channelId: string | undefined, guildId: string | undefined) {
    const channel_id = channelId ?? (guildId ? '600000000000000001' : this.dmChannelFor(user.id));
    if (guildId) {
      return {
        guild_id: guildId,
        channel_id,
        channel: { id: channel_id, type: 0, name: 'general', guild_id: guildId },
        member: { user: this.#userJson(user), roles: [], permissions: '0', joined_at: new Date(0).toISOString(), deaf: false, mute: false },
        context: 0,
      };
    }
    return {
      channel_id,
      channel: { id: channel_id, type: 1, recipients: [this.#userJson(user)] },
      user: this.#userJson(user),
      context: 1,
    };
  }

  #userJson(user: DiscordUserShape) {
    return { id: user.id, username: user.username, global_name: user.global_name ?? null, discriminator: '0', avatar: null };
  }

  #acceptGateway(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('close', () => {
      this.#sockets.delete(ws);
      this.#readySockets.delete(ws);
    });
    ws.on('message', (raw) => this.#onGatewayMessage(ws, raw.toString()));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.#heartbeatIntervalMs }, s: null, t: null }));
  }

  #onGatewayMessage(ws: WebSocket, raw: string): void {
    let payload: { op?: number; d?: unknown };
    try {
      payload = JSON.parse(raw) as { op?: number; d?: unknown };
    } catch {
      return;
    }
    if (payload.op === 1) {
      ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    } else if (payload.op === 2) {
      this.identifies.push(payload.d);
      this.#sendDispatch(ws, 'READY', {
        v: 10,
        user: { id: this.botUserId, username: 'relay-bot', discriminator: '0', global_name: null, avatar: null, bot: true },
        guilds: this.#guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: `session-${this.snowflake()}`,
        resume_gateway_url: `ws://127.0.0.1:${this.port}`,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
      });
      for (const guild of this.#guilds) this.#sendDispatch(ws, 'GUILD_CREATE', this.#guildJson(guild));
      this.#readySockets.add(ws);
      this.#waiting.notify();
    }
  }

  #guildJson(guild: { id: string; channels: string[] }) {
    return {
      id: guild.id,
      name: 'Test server',
      icon: null,
      owner_id: '400000000000000099',
      preferred_locale: 'en-US',
      roles: [{ id: guild.id, name: '@everyone', permissions: '0', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      emojis: [],
      stickers: [],
      features: [],
      member_count: 2,
      members: [],
      presences: [],
      voice_states: [],
      threads: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      channels: guild.channels.map((id, position) => ({ id, type: 0, name: `text-${position}`, guild_id: guild.id, position, permission_overwrites: [] })),
      unavailable: false,
      joined_at: new Date(0).toISOString(),
      large: false,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      premium_tier: 0,
      nsfw_level: 0,
      system_channel_flags: 0,
    };
  }

  #sendDispatch(ws: WebSocket, event: string, data: unknown): void {
    this.#seq += 1;
    ws.send(JSON.stringify({ op: 0, t: event, s: this.#seq, d: data }));
  }

  /* ------------------------------------------------------------------ REST */

  async #handle(req: HttpRequest, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const attachment = /^\/attachments\/([^/]+)\//.exec(url.pathname);
    if (attachment) {
      const file = this.#attachments.get(attachment[1]!);
      if (!file) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': file.contentType }).end(file.bytes);
    }
    const path = url.pathname.replace(/^\/api(\/v\d+)?/, '');
    const text = await readBody(req);
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: req.headers.authorization,
    };
    this.calls.push(call);
    try {
      const [status, answer] = this.#route(call);
      if (status === 204) {
        res.writeHead(204).end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      }
    } finally {
      this.#waiting.notify();
    }
  }

  #route(call: RecordedCall): [number, unknown] {
    const { method, path } = call;
    const body = isRecord(call.body) ? call.body : {};
    let m: RegExpMatchArray | null;

    if (method === 'GET' && path === '/gateway/bot') {
      if (this.#failGatewayDiscovery > 0) {
        this.#failGatewayDiscovery -= 1;
        return [502, { message: 'bad gateway', code: 0 }];
      }
      return [
        200,
        {
          url: `ws://127.0.0.1:${this.port}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        },
      ];
    }
    if (method === 'PUT' && (m = path.match(/^\/applications\/([^/]+)\/(?:guilds\/([^/]+)\/)?commands$/))) {
      const list = Array.isArray(call.body) ? (call.body as Array<Record<string, unknown>>) : [];
      const scope = m[2] ?? 'global';
      const saved = list.map((cmd) => ({
        ...cmd,
        id: this.snowflake(),
        application_id: m![1],
        ...(m![2] ? { guild_id: m![2] } : {}),
        version: this.snowflake(),
        type: cmd['type'] ?? 1,
        default_member_permissions: null,
      }));
      this.registeredCommands.set(scope, saved);
      return [200, saved];
    }
    if (method === 'POST' && /^\/interactions\/[^/]+\/[^/]+\/callback$/.test(path)) {
      return [204, undefined];
    }
    if (method === 'PATCH' && (m = path.match(/^\/webhooks\/([^/]+)\/([^/]+)\/messages\/([^/]+)$/))) {
      const [, , token, rawId] = m as unknown as [string, string, string, string];
      const messageId = decodeURIComponent(rawId);
      const key = messageId === '@original' ? `original:${token}` : messageId;
      let message = this.messages.get(key);
      if (!message && messageId === '@original') {
        message = { id: this.snowflake(), channelId: 'interaction', interactionToken: token, kind: 'original', content: '', flags: 0, components: [], edits: -1 };
        this.messages.set(key, message);
      }
      if (!message) return [404, { message: 'Unknown Message', code: 10008 }];
      this.#apply(message, body);
      return [200, this.#messageJson(message)];
    }
    if (method === 'POST' && (m = path.match(/^\/webhooks\/([^/]+)\/([^/]+)$/))) {
      const message: FakeMessage = {
        id: this.snowflake(),
        channelId: 'interaction',
        interactionToken: m[2]!,
        kind: 'followup',
        content: '',
        flags: 0,
        components: [],
        edits: -1,
      };
      this.#apply(message, body);
      this.messages.set(message.id, message);
      return [200, this.#messageJson(message)];
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/([^/]+)\/messages$/))) {
      const message: FakeMessage = { id: this.snowflake(), channelId: m[1]!, kind: 'channel', content: '', flags: 0, components: [], edits: -1 };
      this.#apply(message, body);
      this.messages.set(message.id, message);
      return [200, this.#messageJson(message)];
    }
    if (method === 'PATCH' && (m = path.match(/^\/channels\/([^/]+)\/messages\/([^/]+)$/))) {
      const message = this.messages.get(m[2]!);
      if (!message) return [404, { message: 'Unknown Message', code: 10008 }];
      this.#apply(message, body);
      return [200, this.#messageJson(message)];
    }
    if (method === 'DELETE' && (m = path.match(/^\/webhooks\/([^/]+)\/([^/]+)\/messages\/([^/]+)$/))) {
      const messageId = decodeURIComponent(m[3]!);
      const key = messageId === '@original' ? `original:${m[2]}` : messageId;
      this.messages.delete(key);
      return [204, undefined];
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = typeof body['recipient_id'] === 'string' ? body['recipient_id'] : '';
      return [200, { id: this.dmChannelFor(recipient), type: 1, recipients: [{ id: recipient, username: 'user', discriminator: '0', avatar: null }] }];
    }
    if (method === 'GET' && path === '/users/@me') {
      return [200, { id: this.botUserId, username: 'relay-bot', discriminator: '0', avatar: null, bot: true }];
    }
    return [404, { message: `fake Discord has no route ${method} ${path}`, code: 0 }];
  }

  #apply(message: FakeMessage, body: Record<string, unknown>): void {
    if (typeof body['content'] === 'string') message.content = body['content'];
    const reference = isRecord(body['message_reference']) ? body['message_reference']['message_id'] : undefined;
    if (typeof reference === 'string') message.replyTo = reference;
    if (typeof body['flags'] === 'number') message.flags = body['flags'];
    if (Array.isArray(body['components'])) message.components = body['components'];
    message.edits += 1;
  }

  #messageJson(message: FakeMessage) {
    return {
      id: message.id,
      channel_id: message.channelId,
      author: { id: this.botUserId, username: 'relay-bot', discriminator: '0', global_name: null, avatar: null, bot: true },
      content: message.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: message.edits > 0 ? new Date().toISOString() : null,
      ...PLAIN_MESSAGE,
      type: message.kind === 'channel' ? 0 : 20,
      flags: message.flags,
      components: message.components,
      ...(message.kind !== 'channel' ? { webhook_id: this.applicationId, application_id: this.applicationId } : {}),
    };
  }
}


async function readBody(req: HttpRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
