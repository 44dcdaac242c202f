/**
 * A fake Anthropic Messages API for tests: node:http on 127.0.0.1, a random port, the real wire format.
 *
 *   const fake = await startFakeAnthropic();          // optional { keys: ['sk-ant-good'] } to reject other keys
 *   // channel base URL: fake.url (it serves POST {fake.url}/v1/messages)
 *   fake.setScript((req) => ({ kind: 'answer', content: [{ type: 'text', text: 'Hi' }], usage: { input_tokens: 5 } }));
 *   fake.setScript(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
 *   fake.setScript(() => ({ kind: 'raw', status: 502, body: '<html>Bad gateway</html>' }));
 *   fake.requests[0].headers['x-api-key']; fake.requests[0].body   // every request, recorded, body parsed
 *   await fake.close();
 *
 * An `answer` goes out as a JSON message, or as an SSE stream (`event:` + `data:` lines, with a ping, text split
 * over several text_delta events, tool input over several input_json_delta events, thinking with a signature_delta)
 * when the request body has `stream: true`. Stream options: `cutAfter: n` drops the connection after n events;
 * `errorAfter: n` sends an `event: error` after n events and ends the stream.
 * Default script: a text answer "Echo: <last user text>" with DEFAULT_FAKE_USAGE.
 * Like the real API it answers 401 authentication_error without x-api-key (or with a key not in `keys`), 400
 * invalid_request_error without anthropic-version or without model / max_tokens / messages, 404 on other paths.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface FakeAnswer {
  kind: 'answer';
  /** Default: [{ type: 'text', text: 'Echo: <last user text>' }]. */
  content?: FakeBlock[];
  /** Default: 'tool_use' when the content has a tool_use block, else 'end_turn'. */
  stopReason?: string;
  /** Merged over DEFAULT_FAKE_USAGE. */
  usage?: Partial<FakeUsage>;
  /** Default: the model the request asked for. */
  model?: string;
  /** Wait before sending the response head (to trip a first-byte timeout). */
  delayMs?: number;
  stream?: {
    /** Drop the connection after this many events. */
    cutAfter?: number;
    /** Send an `error` event after this many events, then end the stream. */
    errorAfter?: number;
    error?: { type: string; message: string };
    /** Pause between events. */
    eventDelayMs?: number;
  };
}

export interface FakeError {
  kind: 'error';
  status: number;
  type: string;
  message: string;
}

export interface FakeRaw {
  kind: 'raw';
  status: number;
  body: string;
  contentType?: string;
}

export type FakeReply = FakeAnswer | FakeError | FakeRaw;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
}

export type FakeScript = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  setScript(script: FakeScript): void;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_USAGE: FakeUsage = {
  input_tokens: 12,
  output_tokens: 8,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of the last user message, for the default echo answer. */
export function lastUserText(body: unknown): string {
  const messages = isJson(body) && Array.isArray(body.messages) ? body.messages : [];
  const last = messages.filter((m): m is Json => isJson(m) && m.role === 'user').at(-1);
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return '';
  return last.content.map((b: unknown) => (isJson(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
}

function echoBlocks(req: RecordedRequest): FakeBlock[] {
  return [{ type: 'text', text: `Echo: ${lastUserText(req.body)}` }];
}

export const defaultScript: FakeScript = (req) => ({ kind: 'answer', content: echoBlocks(req) });

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, type: string, message: string, requestId: string): void {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: requestId }, requestId);
}

/** What the real API checks before it looks at the request: path, auth, version, the required fields. */
function rejection(req: RecordedRequest, keys: string[] | undefined): FakeError | undefined {
  const models = req.method === 'GET' && req.path === '/v1/models';
  if (!models && (req.method !== 'POST' || req.path !== '/v1/messages')) {
    return { kind: 'error', status: 404, type: 'not_found_error', message: `Not Found: ${req.method} ${req.path}` };
  }
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string' || key === '') {
    return { kind: 'error', status: 401, type: 'authentication_error', message: 'x-api-key header is required' };
  }
  if (keys && !keys.includes(key)) return { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
  if (typeof req.headers['anthropic-version'] !== 'string') {
    return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' };
  }
  if (models) return undefined;
  if (!isJson(req.body)) return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'There was an error parsing the body' };
  for (const field of ['model', 'max_tokens', 'messages']) {
    if (req.body[field] === undefined) return { kind: 'error', status: 400, type: 'invalid_request_error', message: `${field}: Field required` };
  }
  return undefined;
}

type BuiltMessage = Json & { content: Json[]; usage: FakeUsage; stop_reason: string };

let messageCounter = 0;

function buildMessage(answer: FakeAnswer, req: RecordedRequest): BuiltMessage {
  const n = ++messageCounter;
  const blocks = answer.content ?? echoBlocks(req);
  const content: Json[] = blocks.map((block, i) => {
    if (block.type === 'tool_use') return { type: 'tool_use', id: block.id ?? `toolu_fake_${n}_${i}`, name: block.name, input: block.input };
    if (block.type === 'thinking') return { type: 'thinking', thinking: block.thinking, signature: block.signature ?? `sig_fake_${n}_${i}` };
    return { type: 'text', text: block.text };
  });
  const stopReason = answer.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  const model = answer.model ?? (isJson(req.body) && typeof req.body.model === 'string' ? req.body.model : 'claude-fake');
  const usage: FakeUsage = { ...DEFAULT_FAKE_USAGE, ...answer.usage };
  return { id: `msg_fake_${n}`, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** The event sequence the real API sends for a finished message. */
export function streamEventsOf(message: BuiltMessage): Array<[string, Json]> {
  const { usage } = message;
  const events: Array<[string, Json]> = [
    [
      'message_start',
      {
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
      },
    ],
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(['content_block_start', { index, content_block: { type: 'text', text: '' } }]);
      if (index === 0) events.push(['ping', {}]);
      for (const text of pieces(String(block.text), 8)) events.push(['content_block_delta', { index, delta: { type: 'text_delta', text } }]);
    } else if (block.type === 'thinking') {
      events.push(['content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }]);
      if (index === 0) events.push(['ping', {}]);
      for (const thinking of pieces(String(block.thinking), 16)) {
        events.push(['content_block_delta', { index, delta: { type: 'thinking_delta', thinking } }]);
      }
      events.push(['content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } }]);
    } else {
      events.push(['content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }]);
      if (index === 0) events.push(['ping', {}]);
      events.push(['content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }]);
      for (const partial of pieces(JSON.stringify(block.input), 10)) {
        events.push(['content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: partial } }]);
      }
    }
    events.push(['content_block_stop', { index }]);
  });
  events.push([
    'message_delta',
    { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } },
  ]);
  events.push(['message_stop', {}]);
  return events;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function sendStream(res: ServerResponse, answer: FakeAnswer, message: BuiltMessage, requestId: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId });
  const events = streamEventsOf(message);
  const options = answer.stream ?? {};
  for (let i = 0; i < events.length; i++) {
    if (res.destroyed) return; // the client went away
    if (options.cutAfter !== undefined && i >= options.cutAfter) {
      // Let what was written reach the client first, then drop the connection without ending the response.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.destroy();
      return;
    }
    if (options.errorAfter !== undefined && i >= options.errorAfter) {
      const error = options.error ?? { type: 'overloaded_error', message: 'Overloaded' };
      res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`);
      return;
    }
    const [type, payload] = events[i]!;
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`);
    if (options.eventDelayMs) await sleep(options.eventDelayMs);
  }
  res.end();
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeAnthropic(options: { keys?: string[] } = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  let script: FakeScript = defaultScript;

  const server = createServer((req, res) => {
    void (async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers,
        body: await readBody(req),
      };
      requests.push(recorded);
      const requestId = `req_fake_${requests.length}`;
      const refused = rejection(recorded, options.keys);
      if (!refused && recorded.method === 'GET' && recorded.path === '/v1/models') {
        // The model list (GET /v1/models), first page only.
        const data = ['claude-sonnet-4-6', 'claude-haiku-4-5'].map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-10-01T00:00:00Z' }));
        return sendJson(res, 200, { data, has_more: false, first_id: data[0]!.id, last_id: data.at(-1)!.id }, requestId);
      }
      const reply = refused ?? (await script(recorded));
      if (reply.kind === 'error') return sendError(res, reply.status, reply.type, reply.message, requestId);
      if (reply.kind === 'raw') {
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/html', 'request-id': requestId });
        res.end(reply.body);
        return;
      }
      if (reply.delayMs) await sleep(reply.delayMs);
      const message = buildMessage(reply, recorded);
      const wantsStream = isJson(recorded.body) && recorded.body.stream === true;
      if (wantsStream) await sendStream(res, reply, message, requestId);
      else sendJson(res, 200, message, requestId);
    })().catch((err: unknown) => {
      // A broken script is a test bug: answer 500 so the test sees it instead of hanging.
      if (!res.headersSent) sendError(res, 500, 'api_error', `fake script failed: ${String(err)}`, 'req_fake_error');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(next) {
      script = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
