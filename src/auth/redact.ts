// Key-shaped text out of logs and echoed messages. A URL's query may carry a key (Gemini clients send `?key=sk-…`), a
// path may hold a key pasted by mistake, and an error message may quote either. These run on what gets written down
// (log serializers, 404 messages, image-fetch errors), never on the relay's hot path.
import type { FastifyRequest } from 'fastify';
import pino from 'pino';

const CENSOR = '[redacted]';

/**
 * Secrets recognisable by their shape: relay tokens and provider keys (`sk-…`, `sk-ant-…`), management keys (`rsm-…`),
 * Google API keys (`AIza…`), and the value after `Bearer `. Long enough that ordinary words never match.
 */
const KEY_SHAPED = /\b(?:sk-[A-Za-z0-9_-]{12,}|rsm-[A-Za-z0-9_-]{12,}|AIza[0-9A-Za-z_-]{30,})|(?<=\bBearer\s+)[^\s"',;]{8,}/g;

/** Query parameters whose value is a credential whatever it looks like. */
const SECRET_PARAMS = new Set(['key', 'api_key', 'apikey', 'api-key', 'access_token', 'token', 'secret', 'password', 'code']);

export function redactSecrets(text: string): string {
  return text.replace(KEY_SHAPED, CENSOR);
}

/** A key echoed half-masked (`sk-proj-****abcd`, `sk-abc***`): its prefix and tail still say whose key it is. */
const MASKED_KEY = /\b(?:sk|rsm)-[A-Za-z0-9_-]*\*{2,}[A-Za-z0-9_*-]*|\bAIza[0-9A-Za-z_-]*\*{2,}[0-9A-Za-z_*-]*/g;
/** Shorter configured values are not searched for: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;

/**
 * Text from outside (an upstream's error message, a reason it gave) with every known secret removed: each of `secrets`
 * (the channel keys in use, whatever their shape), then anything key-shaped, whole or half-masked. The one scrubber for
 * upstream text, applied where that text enters the relay.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.split(secret).join(CENSOR);
  }
  return redactSecrets(out).replace(MASKED_KEY, CENSOR);
}

/**
 * A URL (or path + query) with every credential-named query value and every key-shaped substring replaced:
 * `/v1beta/models/x?key=sk-abc…&alt=sse` → `/v1beta/models/x?key=[redacted]&alt=sse`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return redactSecrets(url);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // a malformed escape: judge the raw name
      }
      return SECRET_PARAMS.has(name.toLowerCase().replace(/^\$/, '')) ? `${pair.slice(0, eq)}=${CENSOR}` : pair;
    })
    .join('&');
  return redactSecrets(`${url.slice(0, q)}?${query}`);
}

/** pino serializers for the HTTP app's logger: fastify's request fields with the URL redacted, errors scrubbed. */
export const LOG_SERIALIZERS = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: redactUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    };
  },
  err(err: Error) {
    const out = pino.stdSerializers.err(err);
    out.message = redactSecrets(out.message);
    if (out.stack) out.stack = redactSecrets(out.stack);
    return out;
  },
};
