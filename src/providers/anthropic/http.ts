// Where and how a Messages call is sent: one URL, the key in x-api-key, the API version header.
import type { UpstreamRequest, UpstreamTarget } from '../types.js';
import { DEFAULT_ANTHROPIC_VERSION } from './wire.js';

/** `${baseUrl}/v1/messages`; a base URL that already ends in /v1 (a common channel setup) is tolerated. */
export function messagesUrl(baseUrl: string): string {
  const root = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${root}/v1/messages`;
}

export function anthropicHeaders(target: UpstreamTarget): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': target.config.apiVersion ?? DEFAULT_ANTHROPIC_VERSION,
  };
  // Lower-cased so a configured "Anthropic-Version" replaces ours instead of being sent twice (the upstream rejects
  // a doubled version header as "2023-06-01, 2023-06-01").
  for (const [name, value] of Object.entries(target.config.headers ?? {})) headers[name.toLowerCase()] = value;
  // The key always comes from the channel's key pool, never from configured headers.
  headers['x-api-key'] = target.key;
  return headers;
}

export function messagesRequest(target: UpstreamTarget, body: unknown): UpstreamRequest {
  return { method: 'POST', url: messagesUrl(target.baseUrl), headers: anthropicHeaders(target), body: JSON.stringify(body) };
}
