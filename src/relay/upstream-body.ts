// An upstream answer as it arrives, and the undici dispatch handler that receives it (forward.ts sends with it).
//
// The relay reads an answer in one of two ways: whole (a JSON answer, an error body), or piece by piece while it
// writes each to the client (a stream; a piece is everything that arrived since the last read). Both are served from
// the handler's callbacks directly: whole bodies are collected without pausing; a stream's chunks are queued for the
// reader, and the socket is paused once more than HIGH_WATER bytes wait unread (backpressure: a slow client slows the
// upstream down instead of filling memory).
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Unread bytes above which the upstream socket is paused until the reader catches up. */
const HIGH_WATER = 64 * 1024;

type Controller = Dispatcher.DispatchController;

/** Thrown to a reader when the body was destroyed without a reason. */
export class BodyDestroyedError extends Error {
  override name = 'AbortError';
  readonly code = 'UND_ERR_ABORTED';
  constructor() {
    super('request aborted');
  }
}

export class UpstreamBody implements Dispatcher.DispatchHandler, AsyncIterable<Buffer> {
  #controller: Controller | null = null;
  #head: ((status: number, headers: IncomingHttpHeaders) => void) | null;
  #failed: ((err: Error) => void) | null;
  readonly #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | null = null;
  /** A reader waiting for the next chunk, the end or an error. */
  #wake: (() => void) | null = null;
  /** Whole-body mode: the most to collect, and where to deliver it. */
  #limit = Infinity;
  #whole: { resolve(bytes: Buffer): void; reject(err: Error): void } | null = null;

  /** `head`: the response head arrived; `failed`: the request failed before it did. */
  constructor(head: (status: number, headers: IncomingHttpHeaders) => void, failed: (err: Error) => void, signal?: AbortSignal) {
    this.#head = head;
    this.#failed = failed;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => this.destroy(signal.reason instanceof Error ? signal.reason : new BodyDestroyedError());
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /* ------------------------------------------------------------------------ undici's side ------------------------ */

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#error) controller.abort(this.#error); // destroyed before the request went out
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the real head follows
    const head = this.#head;
    this.#head = this.#failed = null;
    head?.(statusCode, headers);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#error) return;
    if (this.#whole) {
      this.#queued += chunk.length;
      if (this.#queued > this.#limit) {
        // Beyond the limit: what came up to it is the answer; the rest is never read.
        this.#chunks.push(chunk.subarray(0, chunk.length - (this.#queued - this.#limit)));
        const whole = this.#whole;
        const chunks = this.#chunks;
        this.#whole = null;
        this.#stop(new BodyDestroyedError());
        whole.resolve(Buffer.concat(chunks));
        return;
      }
      this.#chunks.push(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER) controller.pause();
    this.#notify();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#release();
    if (this.#whole) {
      const whole = this.#whole;
      this.#whole = null;
      whole.resolve(this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks));
      this.#chunks = [];
      return;
    }
    this.#notify();
  }

  onResponseError(_controller: Controller | null, err: Error): void {
    if (this.#error) return; // destroyed by us: its reason is told already
    this.#end(err);
  }

  /* ------------------------------------------------------------------------ the reader's side -------------------- */

  /** The whole body, at most `limit` bytes (beyond them reading stops, the connection is dropped and what came is it). */
  bytes(limit = Infinity): Promise<Buffer> {
    if (this.#error) return Promise.reject(this.#error);
    const sofar = this.#chunks;
    this.#chunks = [];
    const collected = Buffer.concat(sofar);
    if (this.#ended || collected.length > limit) {
      if (!this.#ended) this.#stop(new BodyDestroyedError());
      return Promise.resolve(collected.length > limit ? collected.subarray(0, limit) : collected);
    }
    this.#limit = limit;
    this.#queued = collected.length;
    if (collected.length > 0) this.#chunks.push(collected);
    this.#controller?.resume(); // a stream reader may have paused it
    return new Promise<Buffer>((resolve, reject) => {
      this.#whole = { resolve, reject };
    });
  }

  async text(limit = Infinity): Promise<string> {
    return (await this.bytes(limit)).toString('utf8');
  }

  /**
   * The bytes as they come, everything that arrived since the last read in one piece (backpressure: the upstream
   * waits while the reader works on a full queue). An upstream that writes each SSE event on its own sends one HTTP
   * chunk per event, and one socket read often brings many: read together, they are parsed and written to the client
   * once, not once per event.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.#chunks.length > 0) {
        const chunks = this.#chunks;
        this.#chunks = [];
        this.#queued = 0;
        if (this.#controller?.paused) this.#controller.resume();
        yield chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * Stops the call: the connection is dropped (unless the answer is complete already) and a reader gets `err` (or
   * an abort error). Harmless after the end or a second time.
   */
  destroy(err?: Error): void {
    if (this.#error || this.#ended) return;
    this.#stop(err ?? new BodyDestroyedError());
  }

  #stop(err: Error): void {
    this.#end(err);
    this.#controller?.abort(err);
  }

  /** The call ends with `err`: before the head send() rejects with it, after it the reader gets it. */
  #end(err: Error): void {
    this.#error = err;
    this.#release();
    const failed = this.#failed;
    this.#head = this.#failed = null;
    if (failed) failed(err);
    else this.#fail(err);
  }

  /** Tells a waiting reader (stream or whole) about `err`. */
  #fail(err: Error): void {
    this.#chunks = [];
    this.#queued = 0;
    if (this.#whole) {
      const whole = this.#whole;
      this.#whole = null;
      whole.reject(err);
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake) {
      this.#wake = null;
      wake();
    }
  }

  /** The request is over: stop listening to the signal. */
  #release(): void {
    if (this.#onAbort) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
  }
}
