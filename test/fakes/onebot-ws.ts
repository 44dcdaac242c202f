// A local OneBot v11 implementation (the side go-cqhttp / NapCat / Lagrange play) in forward-WebSocket mode: the bot
// connects, sends `{ action, params, echo }` and gets `{ status, retcode, data, echo }` back; the fake pushes message
// events to every connected bot. Unknown actions fail with retcode 1404, as real implementations answer them.
import { createServer, type IncomingMessage as HttpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Waiters } from './waiters.js';
import { isRecord } from '../../src/providers/json.js';

export interface OneBotCall {
  action: string;
  params: Record<string, unknown>;
}

/** A message the bot sent (send_private_msg / send_group_msg), with its text flattened. */
export interface OneBotSent {
  action: 'send_private_msg' | 'send_group_msg';
  userId?: number;
  groupId?: number;
  text: string;
  messageId: number;
}

export interface FakeOneBotOptions {
  selfId: string;
  /** Access token the bot must present (`Authorization: Bearer …`); none when undefined. */
  accessToken?: string;
}

export class FakeOneBot {
  readonly calls: OneBotCall[] = [];
  readonly sent: OneBotSent[] = [];
  /** Handshakes refused for a wrong token. */
  rejectedConnections = 0;

  #server = createServer((_req, res) => res.writeHead(426).end());
  #wss = new WebSocketServer({ noServer: true });
  #sockets = new Set<WebSocket>();
  #nextMessageId = 1000;
  readonly #waiting = new Waiters('fake OneBot');

  constructor(readonly options: FakeOneBotOptions) {
    this.#server.on('upgrade', (req, socket, head) => {
      if (!this.#authorized(req)) {
        this.rejectedConnections += 1;
        // The bot may reset the connection as soon as it reads the status line.
        socket.on('error', () => undefined);
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        this.#waiting.notify();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.endpoint;
  }

  #port = 0;
  /** Connections accepted so far (a reconnect adds one). */
  accepted = 0;

  /**
   * The implementation restarts, as NapCat and Lagrange do: every connection is cut, nothing listens for `downMs`,
   * then it listens again on the same port.
   */
  async restart(downMs: number): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(this.#port);
  }

  get endpoint(): string {
    return `ws://127.0.0.1:${this.#port || (this.#server.address() as AddressInfo).port}`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    return this.#waiting.waitFor(check, timeoutMs, what);
  }

  /** The bot is connected and has asked who it is (koishi then marks it online). */
  waitForLogin(timeoutMs = 5_000): Promise<true> {
    return this.waitFor(() => this.calls.some((c) => c.action === 'get_login_info'), timeoutMs, 'get_login_info');
  }

  /** Push a private message event; returns its message_id. */
  privateMessage(userId: number, text: string, nickname = 'alice'): number {
    return this.#private(userId, [{ type: 'text', data: { text } }], text, nickname);
  }

  /** Push a private message with an image (OneBot's image segment carries the URL to download it from). */
  privateImage(userId: number, text: string, imageUrl: string, nickname = 'alice'): number {
    const segments = [{ type: 'image', data: { file: 'tiny.png', url: imageUrl } }, { type: 'text', data: { text } }];
    return this.#private(userId, segments, `[CQ:image,file=tiny.png]${text}`, nickname);
  }

  #private(userId: number, message: unknown[], raw: string, nickname: string): number {
    const messageId = this.#nextMessageId++;
    this.#push({
      post_type: 'message',
      message_type: 'private',
      sub_type: 'friend',
      message_id: messageId,
      user_id: userId,
      message,
      raw_message: raw,
      font: 0,
      sender: { user_id: userId, nickname },
    });
    return messageId;
  }

  /** Push a group message event (`atBot`: it starts by @-mentioning the bot); returns its message_id. */
  groupMessage(groupId: number, userId: number, text: string, nickname = 'alice', atBot = false): number {
    const messageId = this.#nextMessageId++;
    const segments = [...(atBot ? [{ type: 'at', data: { qq: this.options.selfId } }] : []), { type: 'text', data: { text: atBot ? ` ${text}` : text } }];
    this.#push({
      post_type: 'message',
      message_type: 'group',
      sub_type: 'normal',
      message_id: messageId,
      group_id: groupId,
      user_id: userId,
      message: segments,
      raw_message: text,
      font: 0,
      sender: { user_id: userId, nickname, card: '', role: 'member' },
    });
    return messageId;
  }

  #push(event: Record<string, unknown>): void {
    if (this.#sockets.size === 0) throw new Error('fake OneBot: no bot connected');
    const payload = JSON.stringify({ time: Math.floor(Date.now() / 1000), self_id: Number(this.options.selfId), ...event });
    for (const ws of this.#sockets) ws.send(payload);
  }

  #authorized(req: HttpRequest): boolean {
    if (!this.options.accessToken) return true;
    const header = req.headers.authorization;
    const query = new URL(req.url ?? '/', 'http://fake').searchParams.get('access_token');
    return header === `Bearer ${this.options.accessToken}` || query === this.options.accessToken;
  }

  #accept(ws: WebSocket): void {
    this.accepted += 1;
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    ws.on('message', (raw) => {
      let request: { action?: unknown; params?: unknown; echo?: unknown };
      try {
        request = JSON.parse(raw.toString()) as typeof request;
      } catch {
        return;
      }
      const action = typeof request.action === 'string' ? request.action : '';
      const params = isRecord(request.params) ? request.params : {};
      this.calls.push({ action, params });
      const data = this.#perform(action, params);
      const answer =
        data === undefined
          ? { status: 'failed', retcode: 1404, data: null, message: `unsupported action ${action}`, echo: request.echo }
          : { status: 'ok', retcode: 0, data, echo: request.echo };
      ws.send(JSON.stringify(answer));
      this.#waiting.notify();
    });
    this.#waiting.notify();
  }

  #perform(action: string, params: Record<string, unknown>): unknown {
    if (action === 'get_login_info') return { user_id: Number(this.options.selfId), nickname: 'relay-onebot' };
    if (action === 'send_private_msg' || action === 'send_group_msg') {
      const messageId = this.#nextMessageId++;
      this.sent.push({
        action,
        ...(action === 'send_private_msg' ? { userId: Number(params['user_id']) } : { groupId: Number(params['group_id']) }),
        text: flattenMessage(params['message']),
        messageId,
      });
      return { message_id: messageId };
    }
    return undefined;
  }
}

/** OneBot messages are a CQ-code string or an array of segments; tests compare the text. */
function flattenMessage(message: unknown): string {
  if (typeof message === 'string') return message;
  if (!Array.isArray(message)) return '';
  return message
    .map((segment: unknown) => {
      if (!isRecord(segment) || !isRecord(segment['data'])) return '';
      return segment['type'] === 'text' ? String(segment['data']['text'] ?? '') : `[${String(segment['type'])}]`;
    })
    .join('');
}

