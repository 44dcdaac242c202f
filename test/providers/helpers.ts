// Shared by the provider and inbound-format tests: frame SSE text the way the pipeline does (eventsource-parser), send
// an adapter's UpstreamRequest to a local fake, read fixtures.
import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import type { SseEvent, UpstreamRequest } from '../../src/providers/types.js';

export function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({
    onEvent: (e) => {
      const event: SseEvent = { data: e.data };
      if (e.event !== undefined) event.event = e.event;
      if (e.id !== undefined) event.id = e.id;
      events.push(event);
    },
  });
  parser.feed(text);
  return events;
}

export interface SentResponse {
  status: number;
  text: string;
  contentType: string;
}

/** Sends an adapter-built request. Only loopback URLs: tests never leave the machine. */
export async function send(req: UpstreamRequest): Promise<SentResponse> {
  const url = new URL(req.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to send a test request to ${url.host}`);
  const res = await fetch(url, { method: req.method, headers: req.headers, body: req.body });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

export function fixture(provider: 'openai' | 'azure' | 'gemini', name: string): string {
  return readFileSync(new URL(`../../src/providers/${provider}/fixtures/${name}`, import.meta.url), 'utf8');
}

export function jsonFixture(provider: 'openai' | 'azure' | 'gemini', name: string): unknown {
  return JSON.parse(fixture(provider, name)) as unknown;
}

export const CTX = { id: 'chatcmpl-relay-1', created: 1_700_000_000, model: 'client-model' };
