// SSE framing, in one place: upstream bytes → events (eventsource-parser), and events → bytes for the client (every
// SSE text the relay writes comes from encodeSse).
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { SseEvent } from '../providers/types.js';

/** Feeds body chunks; calls `onEvent` for each complete event. */
export class SseReader {
  // node's StringDecoder, not TextDecoder: both keep a character split across chunks for the next one, and this one
  // is ~4× cheaper per chunk (TextDecoder's streaming decode was ~1% of a stream call).
  #decoder = new StringDecoder('utf8');
  #pending: SseEvent[] = [];
  #parser = createParser({
    onEvent: (ev) => {
      this.#pending.push(ev.event ? { event: ev.event, data: ev.data, ...(ev.id ? { id: ev.id } : {}) } : { data: ev.data });
    },
  });

  /** Events completed by this chunk (possibly none). */
  push(chunk: Uint8Array): SseEvent[] {
    this.#parser.feed(this.#decoder.write(chunk));
    return this.#drain();
  }

  /** Whatever a final chunk without its blank line completes. */
  end(): SseEvent[] {
    this.#parser.feed(this.#decoder.end() + '\n\n');
    return this.#drain();
  }

  #drain(): SseEvent[] {
    if (this.#pending.length === 0) return [];
    const out = this.#pending;
    this.#pending = [];
    return out;
  }
}

/** One event as SSE text. `eol`: Gemini's API ends its lines with CRLF, and the relay writes Gemini streams the same way. */
export function encodeSse(ev: SseEvent, eol: '\n' | '\r\n' = '\n'): string {
  const data = ev.data.includes('\n') ? ev.data.split('\n').map((l) => `data: ${l}`).join(eol) : `data: ${ev.data}`;
  return ev.event ? `event: ${ev.event}${eol}${data}${eol}${eol}` : `${data}${eol}${eol}`;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no', // nginx: do not buffer the stream
} as const;
