/**
 * A fake Azure OpenAI resource for tests: node:http on 127.0.0.1, a random port, the real wire format.
 *
 *   const fake = await startFakeAzure();   // optional { keys: ['azure-good'], deployments: ['gpt-4o-prod'] }
 *   // channel base URL: fake.url (it serves POST {fake.url}/openai/deployments/{deployment}/chat/completions and
 *   // /embeddings, both with ?api-version=...)
 *   fake.setScript(() => ({ kind: 'answer', content: 'Hi', usage: { prompt_tokens: 5 } }));
 *   fake.setScript(() => ({ kind: 'content_filter' }));   // Azure's 400 content-management-policy answer
 *   fake.setScript(() => ({ kind: 'error', status: 429, code: '429', message: 'Rate limit' }));
 *   fake.setScript(() => ({ kind: 'raw', status: 502, body: '<html>Bad gateway</html>' }));
 *   fake.requests[0].deployment; fake.requests[0].query['api-version']; fake.requests[0].headers['api-key']
 *   await fake.close();
 *
 * An `answer` goes out as a chat.completion with content-filter annotations, or, when the body has `stream: true`, as
 * SSE: a prompt_filter_results chunk with empty choices first (as Azure sends), a role chunk, the text in 8-character
 * pieces, tool-call argument pieces, the finish chunk, a usage chunk when stream_options.include_usage is set, then
 * [DONE]. Stream options: `cutAfter: n` drops the connection after n events.
 * Default script: a text answer "Echo: <last user text>" with DEFAULT_AZURE_USAGE.
 * Like the real service it answers 404 "Resource not found" without api-version, 401 without a valid api-key header,
 * 404 DeploymentNotFound for a deployment not in `deployments`, 400 when messages (or embeddings input) is missing.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface FakeAzureUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
}

export interface FakeAzureAnswer {
  kind: 'answer';
  /** Default: 'Echo: <last user text>' (null when toolCalls are given and content is not). */
  content?: string | null;
  toolCalls?: Array<{ name: string; arguments: string; id?: string }>;
  /** Default 'tool_calls' with tool calls, else 'stop'. */
  finishReason?: string;
  usage?: Partial<FakeAzureUsage>;
  /** Default 'gpt-4o-2024-08-06' (Azure reports the underlying model, not the deployment). */
  model?: string;
  stream?: { cutAfter?: number };
}

export interface FakeAzureError {
  kind: 'error';
  status: number;
  code: string;
  message: string;
}

export interface FakeAzureContentFilter {
  kind: 'content_filter';
}

export interface FakeAzureRaw {
  kind: 'raw';
  status: number;
  body: string;
  contentType?: string;
}

export type FakeAzureReply = FakeAzureAnswer | FakeAzureError | FakeAzureContentFilter | FakeAzureRaw;

export interface RecordedAzureRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The deployment in the URL, or '' when the path has none. */
  deployment: string;
  /** 'chat/completions' or 'embeddings' (or whatever followed the deployment). */
  operation: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type FakeAzureScript = (req: RecordedAzureRequest) => FakeAzureReply | Promise<FakeAzureReply>;

export interface FakeAzure {
  url: string;
  requests: RecordedAzureRequest[];
  setScript(script: FakeAzureScript): void;
  close(): Promise<void>;
}

export const DEFAULT_AZURE_USAGE: FakeAzureUsage = { prompt_tokens: 12, completion_tokens: 8, cached_tokens: 0 };

const SAFE = { filtered: false, severity: 'safe' };
const CHOICE_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER = [{ prompt_index: 0, content_filter_results: { ...CHOICE_FILTER, jailbreak: { filtered: false, detected: false } } }];

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function lastUserText(body: unknown): string {
  const messages = isJson(body) && Array.isArray(body.messages) ? body.messages : [];
  const last = messages.filter((m): m is Json => isJson(m) && m.role === 'user').at(-1);
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return '';
  return last.content.map((p: unknown) => (isJson(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

export const defaultAzureScript: FakeAzureScript = () => ({ kind: 'answer' });

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'apim-request-id': 'fake-apim-request' });
  res.end(JSON.stringify(body));
}

function errorBody(reply: FakeAzureError): Json {
  return { error: { code: reply.code, message: reply.message } };
}

const CONTENT_FILTER_BODY = {
  error: {
    message:
      "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
    type: null,
    param: 'prompt',
    code: 'content_filter',
    status: 400,
    innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { ...CHOICE_FILTER, violence: { filtered: true, severity: 'high' } } },
  },
};

function rejection(req: RecordedAzureRequest, options: FakeAzureOptions): FakeAzureError | undefined {
  const known = req.operation === 'chat/completions' || req.operation === 'embeddings';
  if (req.method !== 'POST' || !req.deployment || !known || !req.query['api-version']) {
    return { kind: 'error', status: 404, code: '404', message: 'Resource not found' };
  }
  const key = req.headers['api-key'];
  if (typeof key !== 'string' || key === '' || (options.keys && !options.keys.includes(key))) {
    return {
      kind: 'error',
      status: 401,
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    };
  }
  if (options.deployments && !options.deployments.includes(req.deployment)) {
    return {
      kind: 'error',
      status: 404,
      code: 'DeploymentNotFound',
      message:
        'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    };
  }
  const body = isJson(req.body) ? req.body : {};
  if (req.operation === 'chat/completions' && !Array.isArray(body.messages)) {
    return { kind: 'error', status: 400, code: 'BadRequest', message: "'messages' is a required property" };
  }
  if (req.operation === 'embeddings' && body.input === undefined) {
    return { kind: 'error', status: 400, code: 'BadRequest', message: "'input' is a required property" };
  }
  return undefined;
}

let completionCounter = 0;

interface Built {
  id: string;
  created: number;
  model: string;
  content: string | null;
  toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  finishReason: string;
  usage: Json;
}

function build(answer: FakeAzureAnswer, req: RecordedAzureRequest): Built {
  const n = ++completionCounter;
  const toolCalls = (answer.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_fake${n}x${i}`,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  const content = answer.content !== undefined ? answer.content : toolCalls.length > 0 ? null : `Echo: ${lastUserText(req.body)}`;
  const usage: FakeAzureUsage = { ...DEFAULT_AZURE_USAGE, ...answer.usage };
  return {
    id: `chatcmpl-fakeazure${n}`,
    created: 1727812345 + n,
    model: answer.model ?? 'gpt-4o-2024-08-06',
    content,
    toolCalls,
    finishReason: answer.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      completion_tokens: usage.completion_tokens,
      completion_tokens_details: { reasoning_tokens: 0 },
      prompt_tokens: usage.prompt_tokens,
      prompt_tokens_details: { cached_tokens: usage.cached_tokens },
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
    },
  };
}

function completionOf(built: Built): Json {
  const message: Json = { content: built.content, refusal: null, role: 'assistant' };
  if (built.toolCalls.length > 0) message.tool_calls = built.toolCalls;
  return {
    choices: [{ content_filter_results: CHOICE_FILTER, finish_reason: built.finishReason, index: 0, logprobs: null, message }],
    created: built.created,
    id: built.id,
    model: built.model,
    object: 'chat.completion',
    prompt_filter_results: PROMPT_FILTER,
    system_fingerprint: 'fp_fakeazure',
    usage: built.usage,
  };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The chunks Azure streams for an answer, filter chunk first. */
export function streamChunksOf(built: Built, includeUsage: boolean): Json[] {
  const chunk = (delta: Json, finish: string | null, filter: Json = CHOICE_FILTER): Json => ({
    choices: [{ content_filter_results: filter, delta, finish_reason: finish, index: 0, logprobs: null }],
    created: built.created,
    id: built.id,
    model: built.model,
    object: 'chat.completion.chunk',
    system_fingerprint: 'fp_fakeazure',
  });
  const chunks: Json[] = [
    { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER },
    chunk({ content: '', refusal: null, role: 'assistant' }, null, {}),
  ];
  for (const text of pieces(built.content ?? '', 8)) chunks.push(chunk({ content: text }, null));
  built.toolCalls.forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null, {}));
    for (const part of pieces(call.function.arguments, 10)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null, {}));
    }
  });
  chunks.push(chunk({}, built.finishReason, {}));
  if (includeUsage) {
    chunks.push({
      choices: [],
      created: built.created,
      id: built.id,
      model: built.model,
      object: 'chat.completion.chunk',
      system_fingerprint: 'fp_fakeazure',
      usage: built.usage,
    });
  }
  return chunks;
}

function sendStream(res: ServerResponse, chunks: Json[], cutAfter: number | undefined): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (let i = 0; i < chunks.length; i++) {
    if (cutAfter !== undefined && i >= cutAfter) {
      res.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify(chunks[i])}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

function embeddingsOf(body: Json): Json {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  return {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.0023064255, -0.009327292, 0.015797347] })),
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
  };
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

function record(req: IncomingMessage, body: unknown): RecordedAzureRequest {
  const url = new URL(req.url ?? '/', 'http://fake');
  const match = /^\/openai\/deployments\/([^/]+)\/(.+)$/.exec(url.pathname);
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    deployment: match ? decodeURIComponent(match[1]!) : '',
    operation: match ? match[2]! : '',
    headers: req.headers,
    body,
  };
}

export interface FakeAzureOptions {
  keys?: string[];
  deployments?: string[];
}

export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeAzure> {
  const requests: RecordedAzureRequest[] = [];
  let script: FakeAzureScript = defaultAzureScript;

  const server = createServer((req, res) => {
    void (async () => {
      const recorded = record(req, await readBody(req));
      requests.push(recorded);
      const reply = rejection(recorded, options) ?? (await script(recorded));
      if (reply.kind === 'error') return sendJson(res, reply.status, errorBody(reply));
      if (reply.kind === 'content_filter') return sendJson(res, 400, CONTENT_FILTER_BODY);
      if (reply.kind === 'raw') {
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/html' });
        res.end(reply.body);
        return;
      }
      const body = isJson(recorded.body) ? recorded.body : {};
      if (recorded.operation === 'embeddings') return sendJson(res, 200, embeddingsOf(body));
      const built = build(reply, recorded);
      if (body.stream === true) {
        const includeUsage = isJson(body.stream_options) && body.stream_options.include_usage === true;
        sendStream(res, streamChunksOf(built, includeUsage), reply.stream?.cutAfter);
      } else sendJson(res, 200, completionOf(built));
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: `fake script failed: ${String(err)}` } });
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
