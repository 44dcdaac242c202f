// A fake OpenAI Responses API on 127.0.0.1, in the real wire format: POST /v1/responses (a JSON response, or the SSE
// event sequence with sequence numbers), stored responses (store: true, the default) with previous_response_id,
// GET / DELETE /v1/responses/{id}, POST …/cancel, GET …/input_items. Azure's v1 surface (/openai/v1/responses, the key
// in api-key) is served too.
//
//   const up = await startFakeResponses({ keys: ['sk-upstream'] });
//   up.setScript(() => ({ kind: 'answer', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
//   up.requests → every request (method, path, headers, body)
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedResponsesRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

export interface FakeResponsesUsage {
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
}

export type ResponsesScript =
  | {
      kind: 'answer';
      /** Default "Hello from upstream" (split over three deltas when streamed). */
      text?: string;
      toolCall?: { name: string; arguments: string; callId?: string };
      customToolCall?: { name: string; input: string; callId?: string };
      /** A reasoning item first (its encrypted_content only when the request includes reasoning.encrypted_content). */
      reasoning?: { summary: string };
      usage?: FakeResponsesUsage | null;
      /** Ends as response.incomplete (max_output_tokens). */
      incomplete?: boolean;
      /** Streams: send response.failed after this many events. */
      failAfter?: number;
      /** Streams: drop the connection after this many events. */
      cutAfter?: number;
    }
  | { kind: 'error'; status: number; message?: string; code?: string; type?: string };

export interface FakeResponses {
  url: string;
  requests: RecordedResponsesRequest[];
  /** Stored responses by id. */
  stored: Map<string, Record<string, unknown>>;
  setScript(fn: ((req: RecordedResponsesRequest) => ResponsesScript) | null): void;
  close(): Promise<void>;
}

export const DEFAULT_RESPONSES_USAGE: FakeResponsesUsage = { input: 20, cached: 0, output: 10, reasoning: 0 };

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => JSON.stringify({ error: { message, type, param, code } });

export async function startFakeResponses(opts: { keys?: string[] } = {}): Promise<FakeResponses> {
  const requests: RecordedResponsesRequest[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  const inputs = new Map<string, unknown[]>();
  let script: ((req: RecordedResponsesRequest) => ResponsesScript) | null = null;
  let counter = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> | undefined;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
      } catch {
        send(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
        return;
      }
      const url = req.url ?? '/';
      const path = url.split('?')[0]!.replace(/^\/openai\/v1\//, '/v1/');
      const recorded: RecordedResponsesRequest = { method: req.method ?? 'GET', path, url, headers: req.headers, body };
      requests.push(recorded);
      handle(recorded, res);
    });
  });

  function handle(req: RecordedResponsesRequest, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : String(req.headers['api-key'] ?? '');
    if (!key || (opts.keys && !opts.keys.includes(key))) {
      send(res, 401, errorBody(`Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key'));
      return;
    }
    const m = /^\/v1\/responses(?:\/([^/]+)(\/cancel|\/input_items)?)?$/.exec(req.path);
    if (!m) {
      send(res, 404, errorBody(`Invalid URL (${req.method} ${req.path})`, 'invalid_request_error', null));
      return;
    }
    const [, id, sub] = m;
    if (id) return resource(req, res, id, sub);
    if (req.method !== 'POST' || !req.body) {
      send(res, 400, errorBody('body required', 'invalid_request_error', null));
      return;
    }
    const previous = req.body.previous_response_id;
    if (typeof previous === 'string' && !stored.has(previous)) {
      send(res, 400, errorBody(`Previous response with id '${previous}' not found.`, 'invalid_request_error', 'previous_response_not_found', 'previous_response_id'));
      return;
    }
    const s = (script ?? (() => ({ kind: 'answer' }) as ResponsesScript))(req);
    if (s.kind === 'error') {
      const type = s.type ?? (s.status === 429 ? 'rate_limit_exceeded' : s.status >= 500 ? 'server_error' : 'invalid_request_error');
      send(res, s.status, errorBody(s.message ?? `fake upstream error ${s.status}`, type, s.code ?? null));
      return;
    }
    answer(req, res, s);
  }

  function resource(req: RecordedResponsesRequest, res: ServerResponse, id: string, sub: string | undefined): void {
    const response = stored.get(id);
    if (!response) {
      send(res, 404, errorBody(`Response with id '${id}' not found.`, 'invalid_request_error', null, 'response_id'));
      return;
    }
    if (req.method === 'GET' && !sub) return send(res, 200, JSON.stringify(response));
    if (req.method === 'DELETE' && !sub) {
      stored.delete(id);
      return send(res, 200, JSON.stringify({ id, object: 'response', deleted: true }));
    }
    if (req.method === 'POST' && sub === '/cancel') return send(res, 200, JSON.stringify({ ...response, status: 'cancelled' }));
    if (req.method === 'GET' && sub === '/input_items') {
      const data = (inputs.get(id) ?? []).map((item, i) => ({ id: `msg_in_${i}`, ...(item as object) }));
      return send(res, 200, JSON.stringify({ object: 'list', data, first_id: 'msg_in_0', last_id: `msg_in_${data.length - 1}`, has_more: false }));
    }
    send(res, 404, errorBody(`Invalid URL (${req.method} ${req.path})`, 'invalid_request_error', null));
  }

  function answer(req: RecordedResponsesRequest, res: ServerResponse, s: Extract<ResponsesScript, { kind: 'answer' }>): void {
    const body = req.body!;
    const n = ++counter;
    const id = `resp_fake_${n}`;
    const model = String(body.model);
    const text = s.text ?? 'Hello from upstream';
    const include = Array.isArray(body.include) ? body.include : [];
    const output: Record<string, unknown>[] = [];
    if (s.reasoning) {
      output.push({
        type: 'reasoning',
        id: `rs_fake_${n}`,
        summary: [{ type: 'summary_text', text: s.reasoning.summary }],
        ...(include.includes('reasoning.encrypted_content') ? { encrypted_content: `gAAAAB${Buffer.from(`secret-reasoning-${n}`).toString('base64')}` } : {}),
      });
    }
    if (s.toolCall) {
      output.push({ type: 'function_call', id: `fc_fake_${n}`, call_id: s.toolCall.callId ?? `call_fake_${n}`, name: s.toolCall.name, arguments: s.toolCall.arguments, status: 'completed' });
    } else if (s.customToolCall) {
      output.push({ type: 'custom_tool_call', id: `ctc_fake_${n}`, call_id: s.customToolCall.callId ?? `call_fake_${n}`, name: s.customToolCall.name, input: s.customToolCall.input, status: 'completed' });
    } else {
      output.push({ type: 'message', id: `msg_fake_${n}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
    }
    const u = s.usage === undefined ? DEFAULT_RESPONSES_USAGE : s.usage;
    const usage = u && {
      input_tokens: u.input,
      input_tokens_details: { cached_tokens: u.cached ?? 0 },
      output_tokens: u.output,
      output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
      total_tokens: u.input + u.output,
    };
    const base = {
      id,
      object: 'response',
      created_at: 1_760_000_000 + n,
      model,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      previous_response_id: body.previous_response_id ?? null,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      store: body.store !== false,
      tools: body.tools ?? [],
      tool_choice: body.tool_choice ?? 'auto',
      text: body.text ?? { format: { type: 'text' } },
      reasoning: body.reasoning ?? { effort: null, summary: null },
      error: null,
      metadata: {},
    };
    const status = s.incomplete ? 'incomplete' : 'completed';
    const final = { ...base, status, incomplete_details: s.incomplete ? { reason: 'max_output_tokens' } : null, output, usage };
    if (body.store !== false) {
      stored.set(id, final);
      inputs.set(id, typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] }] : ((body.input as unknown[]) ?? []));
    }
    if (body.stream !== true) return send(res, 200, JSON.stringify(final));

    const events: Array<Record<string, unknown>> = [];
    const ev = (type: string, payload: Record<string, unknown>) => events.push({ type, ...payload });
    const pending = { ...base, status: 'in_progress', incomplete_details: null, output: [], usage: null };
    ev('response.created', { response: pending });
    ev('response.in_progress', { response: pending });
    output.forEach((item, index) => {
      if (item.type === 'message') {
        ev('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
        ev('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
        const words = text.split(/(?= )/);
        for (const w of words) ev('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: w, logprobs: [] });
        ev('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
        ev('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
      } else if (item.type === 'function_call') {
        ev('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } });
        ev('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments });
        ev('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments });
      } else if (item.type === 'custom_tool_call') {
        ev('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', input: '' } });
        ev('response.custom_tool_call_input.delta', { item_id: item.id, output_index: index, delta: item.input });
        ev('response.custom_tool_call_input.done', { item_id: item.id, output_index: index, input: item.input });
      } else {
        ev('response.output_item.added', { output_index: index, item: { ...item, summary: [] } });
        ev('response.reasoning_summary_part.added', { item_id: item.id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: '' } });
        ev('response.reasoning_summary_text.delta', { item_id: item.id, output_index: index, summary_index: 0, delta: s.reasoning!.summary });
        ev('response.reasoning_summary_text.done', { item_id: item.id, output_index: index, summary_index: 0, text: s.reasoning!.summary });
        ev('response.reasoning_summary_part.done', { item_id: item.id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: s.reasoning!.summary } });
      }
      ev('response.output_item.done', { output_index: index, item });
    });
    ev(`response.${status}`, { response: final });
    if (s.failAfter !== undefined) {
      events.splice(s.failAfter, events.length, { type: 'response.failed', response: { ...base, status: 'failed', error: { code: 'server_error', message: 'The model failed (upstream key sk-upstream-secret-0000)' }, usage } });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const limit = s.cutAfter ?? events.length;
    events.slice(0, limit).forEach((e, i) => res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`));
    if (s.cutAfter !== undefined) setTimeout(() => res.socket?.destroy(), 30);
    else res.end();
  }

  function send(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stored,
    setScript(fn) {
      script = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
