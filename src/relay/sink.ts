// Where an answer goes. The pipeline writes through a ResponseSink and never touches fastify directly:
// HttpSink writes to the client's socket (with backpressure); the bots' in-process chat uses a TextSink.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { RelayError } from '../errors.js';
import { encodeError, type ErrorFormat } from './error-formats.js';
import { SSE_HEADERS, SseReader } from './sse.js';
import { withFields } from '../providers/json.js';

export interface ResponseSink {
  /** The client went away before the answer ended. */
  readonly gone: boolean;
  /** Calls `listener` once when the client goes away; returns what removes it. */
  onGone(listener: () => void): () => void;
  /**
   * Aborted when the client goes away, for APIs that take a signal (image downloads). Made on first use: creating and
   * listening to an AbortSignal costs a bench-visible share of a call, so the hot path uses `gone` and `onGone`.
   */
  readonly signal: AbortSignal;
  readonly started: boolean;
  /** A whole (non-stream) answer. */
  json(status: number, body: string | Buffer, contentType?: string): void;
  /** Begins a stream (status and headers, sent with the first write): from here on nothing is retried. */
  start(): void;
  /** Writes stream text; resolves when the client has taken it (backpressure). */
  write(text: string): Promise<void>;
  /** Ends the stream, with its last text if given (sent together with the end, in one write). */
  end(text?: string): void;
  /**
   * Sends what was written so far now rather than at the end of this tick. Node gathers a tick's writes into one
   * (a stream's events, one per upstream chunk, go out together); the pipeline calls this before settling, whose
   * SQLite commit may run synchronously in the same tick, so that the client's bytes never wait for the database.
   */
  flush(): void;
  /** Fails the call: an error body before the stream started, an in-stream error event after. */
  fail(err: RelayError, inStream: (err: RelayError) => string): void;
}

/** The client's departure, told to listeners and (when one was asked for) to an AbortSignal. */
class Departure {
  gone = false;
  #listeners: Array<() => void> | undefined;
  #controller: AbortController | undefined;

  leave(): void {
    if (this.gone) return;
    this.gone = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const l of listeners) l();
    this.#controller?.abort(new Error('client closed the connection'));
  }

  onGone(listener: () => void): () => void {
    if (this.gone) {
      listener();
      return () => {};
    }
    (this.#listeners ??= []).push(listener);
    return () => {
      const i = this.#listeners?.indexOf(listener) ?? -1;
      if (i >= 0) this.#listeners!.splice(i, 1);
    };
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.gone) this.#controller.abort(new Error('client closed the connection'));
    }
    return this.#controller.signal;
  }
}

export class HttpSink implements ResponseSink {
  readonly #departure = new Departure();
  #started = false;
  #ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly format: ErrorFormat,
    private readonly requestId: string,
    /** The head of a stream: SSE unless the client asked for another framing (JsonArraySink). */
    private readonly streamHeaders: Readonly<Record<string, string>> = SSE_HEADERS,
  ) {
    // 'close' before we ended means the client went away (the attempt decides what that stops: relay/attempt.ts).
    res.on('close', () => {
      if (!this.#ended) this.#departure.leave();
    });
  }

  get gone(): boolean {
    return this.#departure.gone;
  }

  onGone(listener: () => void): () => void {
    return this.#departure.onGone(listener);
  }

  get signal(): AbortSignal {
    return this.#departure.signal;
  }

  get started(): boolean {
    return this.#started;
  }

  json(status: number, body: string | Buffer, contentType = 'application/json; charset=utf-8', extra?: Record<string, string>): void {
    this.#ended = true;
    if (this.res.destroyed) return; // the client left while the call was settled
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-request-id': this.requestId, ...extra });
    this.res.end(body);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    // Not flushed on their own: start() is always followed at once by the first write, which carries them (one packet,
    // one syscall, and no earlier byte for the client to see).
    this.res.writeHead(200, withFields(this.streamHeaders, { 'x-request-id': this.requestId }));
  }

  async write(text: string): Promise<void> {
    if (this.res.destroyed) throw new RelayError('invalid_request', 'client closed the connection', 499);
    if (!this.res.write(text)) {
      await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
    }
  }

  flush(): void {
    this.res.socket?.uncork(); // the per-tick cork Node's first write of a tick took (a no-op when there is none)
  }

  end(text?: string): void {
    this.#ended = true;
    if (this.res.writableEnded || this.res.destroyed) return;
    if (text) this.res.end(text);
    else this.res.end();
  }

  fail(err: RelayError, inStream: (err: RelayError) => string): void {
    if (this.res.destroyed) return;
    if (!this.#started) {
      const retryAfter = err.details.retryAfter;
      const extra = typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : undefined;
      this.json(err.status, JSON.stringify(encodeError(err, this.format)), undefined, extra);
      return;
    }
    this.#ended = true;
    this.res.end(inStream(err));
  }
}

/**
 * The bots' in-process chat (client format 'text'): the pipeline writes the answer's text itself, each piece as it is
 * generated, with no SSE or JSON to parse back; a failure is kept as the RelayError it is.
 */
export class TextSink implements ResponseSink {
  #started = false;
  /** The answer so far. */
  text = '';
  error: RelayError | undefined;

  constructor(
    readonly signal: AbortSignal,
    private readonly onDelta?: (text: string) => void,
  ) {}

  get gone(): boolean {
    return this.signal.aborted;
  }

  onGone(listener: () => void): () => void {
    if (this.signal.aborted) {
      listener();
      return () => {};
    }
    this.signal.addEventListener('abort', listener, { once: true });
    return () => this.signal.removeEventListener('abort', listener);
  }

  get started(): boolean {
    return this.#started;
  }

  json(_status: number, body: string | Buffer): void {
    this.text = body.toString();
  }
  start(): void {
    this.#started = true;
  }
  async write(text: string): Promise<void> {
    this.#append(text);
  }
  end(text?: string): void {
    if (text) this.#append(text);
  }
  flush(): void {}
  #append(text: string): void {
    this.text += text;
    this.onDelta?.(text);
  }
  fail(err: RelayError): void {
    this.error = err;
  }
}

/**
 * Gemini's streamGenerateContent without `alt=sse`: Google answers with one JSON array of GenerateContentResponse
 * objects, written as the array grows (`[{…}` `,\r\n{…}` … `]`). The pipeline writes SSE events as for every stream;
 * this sink turns each event's data into an array element, so pass-through and translated streams (and the in-stream
 * error event, which becomes an `{"error": …}` element) are framed alike. Writes are whole events, but the reader does
 * not rely on it.
 */
export class JsonArraySink implements ResponseSink {
  readonly #inner: HttpSink;
  readonly #reader = new SseReader();
  #elements = 0;

  constructor(res: ServerResponse, requestId: string) {
    this.#inner = new HttpSink(res, 'gemini', requestId, JSON_STREAM_HEADERS);
  }

  get gone(): boolean {
    return this.#inner.gone;
  }

  onGone(listener: () => void): () => void {
    return this.#inner.onGone(listener);
  }

  get signal(): AbortSignal {
    return this.#inner.signal;
  }

  get started(): boolean {
    return this.#inner.started;
  }

  json(status: number, body: string | Buffer, contentType?: string): void {
    this.#inner.json(status, body, contentType);
  }

  start(): void {
    this.#inner.start();
  }

  async write(text: string): Promise<void> {
    const out = this.#elementsOf(text);
    if (out) await this.#inner.write(out);
  }

  end(text?: string): void {
    this.#inner.end(this.#closing(text ?? ''));
  }

  flush(): void {
    this.#inner.flush();
  }

  fail(err: RelayError, inStream: (err: RelayError) => string): void {
    this.#inner.fail(err, (e) => this.#closing(inStream(e)));
  }

  /** The array's remaining elements and its closing bracket (`[]` for a stream that had none). */
  #closing(text: string): string {
    const out = this.#elementsOf(text, true);
    return this.#elements === 0 ? '[]' : `${out}\n]`;
  }

  #elementsOf(text: string, last = false): string {
    const events = [...this.#reader.push(Buffer.from(text)), ...(last ? this.#reader.end() : [])];
    let out = '';
    for (const ev of events) {
      if (ev.data === '' || ev.data === '[DONE]') continue;
      out += (this.#elements++ === 0 ? '[' : ',\r\n') + ev.data;
    }
    return out;
  }
}

const JSON_STREAM_HEADERS = {
  'content-type': 'application/json; charset=UTF-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;
