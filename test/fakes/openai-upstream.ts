// A fake OpenAI API on 127.0.0.1 that speaks the real wire format: chat completions (JSON and SSE, with
// stream_options.include_usage semantics), completions, embeddings, models, and OpenAI's error bodies.
//
//   const up = await startFakeOpenAI({ keys: ['sk-upstream'] });
//   up.setScript((req) => ({ kind: 'stream', chunks: ['Hel', 'lo'] }));   // per request; default: a fixed answer
//   up.requests  → every request seen (method, url, headers, body);   await up.close();
//
// Scripts can also answer an error status with an OpenAI error body, hang (for timeouts), drop the connection, or cut a
// stream off after N chunks. The bench runs this same server in a child process.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export type Script =
  | { kind: 'answer'; text?: string; usage?: { prompt: number; completion: number; cached?: number } | null; toolCall?: { name: string; arguments: string }; delayMs?: number }
  | { kind: 'stream'; chunks: string[]; usage?: { prompt: number; completion: number } | null; cutAfter?: number; delayMs?: number; chunkDelayMs?: number; toolCall?: { name: string; arguments: string } }
  | { kind: 'error'; status: number; message?: string; code?: string; type?: string }
  | { kind: 'raw'; status: number; body: string; contentType?: string }
  | { kind: 'hang' }
  | { kind: 'destroy' };

export interface FakeOpenAI {
  url: string;
  requests: RecordedRequest[];
  setScript(fn: ((req: RecordedRequest) => Script) | null): void;
  /** Connections currently open (streams in flight): lets tests see an abort reach the upstream. */
  openStreams(): number;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Accepted upstream keys; omitted = any non-empty key. */
  keys?: string[];
  /** Do not record requests (bench). */
  record?: boolean;
  port?: number;
}

const MODEL_CREATED = 1_715_367_049;

/** What the balance endpoints answer: a relay's billing (100 USD limit, 12.34 used), DeepSeek, OpenRouter, SiliconFlow. */
const BALANCES: Record<string, unknown> = {
  '/v1/dashboard/billing/subscription': { object: 'billing_subscription', hard_limit_usd: 100, has_payment_method: true },
  '/v1/dashboard/billing/usage': { object: 'list', total_usage: 1234 },
  '/user/balance': { is_available: true, balance_infos: [{ currency: 'CNY', total_balance: '110.00', granted_balance: '10.00', topped_up_balance: '100.00' }] },
  '/api/v1/credits': { data: { total_credits: 50, total_usage: 7.5 } },
  '/v1/user/info': { code: 20000, status: true, data: { id: 'u1', balance: '0.88', chargeBalance: '88.00', totalBalance: '88.88' } },
};

function errorBody(message: string, type: string, code: string | null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export function defaultScript(req: RecordedRequest): Script {
  return req.body?.stream ? { kind: 'stream', chunks: ['Hello', ' from', ' upstream'] } : { kind: 'answer' };
}

export async function startFakeOpenAI(opts: FakeOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  let script: ((req: RecordedRequest) => Script) | null = null;
  let open = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (String(req.headers['content-type']).startsWith('multipart/form-data')) {
        void multipart(req, Buffer.concat(chunks), res);
        return;
      }
      let body: Record<string, unknown> | undefined;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
        return;
      }
      const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
      if (opts.record !== false) requests.push(recorded);
      handle(recorded, res);
    });
  });

  /** Audio transcriptions: multipart with file and model, answered with a transcript. */
  async function multipart(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
    const file = form.get('file');
    const fields = Object.fromEntries([...form].map(([k, v]) => [k, typeof v === 'string' ? v : `<file ${(v as File).name} ${(v as File).size} bytes>`]));
    const recorded: RecordedRequest = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: fields };
    if (opts.record !== false) requests.push(recorded);
    if (req.headers.authorization !== 'Bearer sk-upstream' && opts.keys) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(errorBody('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'));
      return;
    }
    if (!(file instanceof Blob) || !form.get('model')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(errorBody("'file' and 'model' are required", 'invalid_request_error', null));
      return;
    }
    json(res, 200, { text: 'Hello world, this is the transcript.' });
  }

  function handle(req: RecordedRequest, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!key || (opts.keys && !opts.keys.includes(key))) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(errorBody(`Incorrect API key provided: ${key.slice(0, 6)}***. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key'));
      return;
    }
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      json(res, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: MODEL_CREATED, owned_by: 'system' }] });
      return;
    }
    // Balance endpoints of OpenAI-compatible relays and providers (fixed figures).
    if (req.method === 'GET' && path && path in BALANCES) {
      json(res, 200, BALANCES[path]);
      return;
    }
    if (req.method === 'POST' && path && path in EXTRA) {
      const s = script?.(req);
      if (s && special(res, s)) return;
      EXTRA[path]!(req, res);
      return;
    }
    if (req.method !== 'POST' || !['/v1/chat/completions', '/v1/completions', '/v1/embeddings'].includes(path ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody(`Invalid URL (${req.method} ${path})`, 'invalid_request_error', null));
      return;
    }
    const s = (script ?? defaultScript)(req);
    const run = () => {
      if (path === '/v1/embeddings') return embeddings(req, res);
      if (path === '/v1/completions') return completions(req, res, s);
      return chat(req, res, s);
    };
    const delay = 'delayMs' in s ? s.delayMs : undefined;
    if (delay) setTimeout(run, delay);
    else run();
  }

  function common(req: RecordedRequest) {
    return { id: 'chatcmpl-fake123', created: MODEL_CREATED, model: String(req.body?.model ?? 'gpt-4o-mini'), system_fingerprint: 'fp_fake' };
  }

  function chat(req: RecordedRequest, res: ServerResponse, s: Script): void {
    if (special(res, s)) return;
    if (s.kind === 'answer') {
      const text = s.text ?? 'Hello! How can I help you today?';
      const usage = s.usage === undefined ? { prompt: 12, completion: 9 } : s.usage;
      const message = s.toolCall
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: s.toolCall }], refusal: null }
        : { role: 'assistant', content: text, refusal: null };
      json(res, 200, {
        ...common(req),
        object: 'chat.completion',
        choices: [{ index: 0, message, logprobs: null, finish_reason: s.toolCall ? 'tool_calls' : 'stop' }],
        ...(usage
          ? {
              usage: {
                prompt_tokens: usage.prompt,
                completion_tokens: usage.completion,
                total_tokens: usage.prompt + usage.completion,
                prompt_tokens_details: { cached_tokens: (s as { usage?: { cached?: number } }).usage?.cached ?? 0 },
                completion_tokens_details: { reasoning_tokens: 0 },
              },
            }
          : {}),
      });
      return;
    }
    if (s.kind !== 'stream') return;
    const includeUsage = (req.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const usage = s.usage === undefined ? { prompt: 12, completion: s.chunks.length } : s.usage;
    const base = { ...common(req), object: 'chat.completion.chunk' };
    const extra = includeUsage ? { usage: null } : {};
    const events: string[] = [
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...extra }),
    ];
    if (s.toolCall) {
      events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_abc123', type: 'function', function: { name: s.toolCall.name, arguments: '' } }] }, logprobs: null, finish_reason: null }], ...extra }));
      events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: s.toolCall.arguments } }] }, logprobs: null, finish_reason: null }], ...extra }));
    }
    for (const c of s.chunks) events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: c }, logprobs: null, finish_reason: null }], ...extra }));
    events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: s.toolCall ? 'tool_calls' : 'stop' }], ...extra }));
    if (includeUsage && usage) {
      events.push(JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } }));
    }
    events.push('[DONE]');
    streamEvents(res, events, s.cutAfter, s.chunkDelayMs);
  }

  function completions(req: RecordedRequest, res: ServerResponse, s: Script): void {
    if (special(res, s)) return;
    const base = { id: 'cmpl-fake123', created: MODEL_CREATED, model: String(req.body?.model ?? 'gpt-3.5-turbo-instruct') };
    if (s.kind === 'stream') {
      const events = s.chunks.map((t) => JSON.stringify({ ...base, object: 'text_completion', choices: [{ text: t, index: 0, logprobs: null, finish_reason: null }] }));
      events.push(JSON.stringify({ ...base, object: 'text_completion', choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }] }));
      events.push('[DONE]');
      streamEvents(res, events, s.cutAfter, s.chunkDelayMs);
      return;
    }
    const text = s.kind === 'answer' ? (s.text ?? 'This is a test.') : '';
    json(res, 200, { ...base, object: 'text_completion', choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
  }

  function embeddings(req: RecordedRequest, res: ServerResponse): void {
    const inputs = Array.isArray(req.body?.input) ? (req.body?.input as unknown[]) : [req.body?.input];
    json(res, 200, {
      object: 'list',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.0023064255, -0.009327292, 0.015797347] })),
      model: String(req.body?.model ?? 'text-embedding-3-small'),
      usage: { prompt_tokens: 8 * inputs.length, total_tokens: 8 * inputs.length },
    });
  }

  function special(res: ServerResponse, s: Script): boolean {
    switch (s.kind) {
      case 'error': {
        const type = s.type ?? (s.status === 429 ? 'rate_limit_exceeded' : s.status >= 500 ? 'server_error' : 'invalid_request_error');
        res.writeHead(s.status, { 'content-type': 'application/json' });
        res.end(errorBody(s.message ?? `fake upstream error ${s.status}`, type, s.code ?? null));
        return true;
      }
      case 'raw':
        res.writeHead(s.status, { 'content-type': s.contentType ?? 'application/json' }).end(s.body);
        return true;
      case 'hang':
        open++;
        res.on('close', () => open--);
        return true; // never answers
      case 'destroy':
        res.socket?.destroy();
        return true;
      default:
        return false;
    }
  }

  function streamEvents(res: ServerResponse, events: string[], cutAfter: number | undefined, chunkDelayMs = 0): void {
    open++;
    res.on('close', () => open--);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const limit = cutAfter ?? events.length;
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i >= limit) {
        // Upstream dies mid-stream: drop the connection once what was written has left.
        if (cutAfter !== undefined) setTimeout(() => res.socket?.destroy(), 30);
        else res.end();
        return;
      }
      res.write(`data: ${events[i++]}\n\n`);
      if (chunkDelayMs) setTimeout(next, chunkDelayMs);
      else next();
    };
    next();
  }

  const EXTRA: Record<string, (req: RecordedRequest, res: ServerResponse) => void> = {
    '/v1/images/generations': (req, res) => {
      const n = typeof req.body?.n === 'number' ? req.body.n : 1;
      json(res, 200, { created: MODEL_CREATED, data: Array.from({ length: n }, (_, i) => ({ url: `https://images.example/${i}.png`, revised_prompt: String(req.body?.prompt) })) });
    },
    '/v1/audio/speech': (_req, res) => {
      const audio = Buffer.from([0xff, 0xfb, 0x90, 0x64, 0x00, 0x01, 0x02, 0x03]); // an MP3 frame header and a few bytes
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': audio.length }).end(audio);
    },
    '/v1/moderations': (req, res) => {
      json(res, 200, { id: 'modr-fake', model: String(req.body?.model), results: [{ flagged: false, categories: { violence: false }, category_scores: { violence: 0.0001 } }] });
    },
    '/v1/rerank': (req, res) => {
      const docs = Array.isArray(req.body?.documents) ? req.body.documents : [];
      json(res, 200, { id: 'rerank-fake', results: docs.map((_, index) => ({ index, relevance_score: 1 / (index + 1) })), usage: { total_tokens: 42 } });
    },
  };

  function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(fn) {
      script = fn;
    },
    openStreams: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
