// A 2xx OpenAI-shaped chat answer → canonical completion. Validation is minimal on purpose: unknown fields pass through.
import { RelayError } from '../../errors.js';
import type { ChatCompletion, StreamContext } from '../types.js';
import { UpstreamStreamError } from '../types.js';
import { errorFieldsOf, infoOf } from './errors.js';
import { isRecord, withFields } from '../json.js';

export function parseOpenAIChatResponse(body: unknown, ctx: StreamContext): ChatCompletion {
  if (!isRecord(body)) throw new RelayError('upstream_error', 'upstream answered with a body that is not a JSON object', 502);
  // Some compatible providers answer 200 with an error object; route it like the error it is.
  if (body.error !== undefined && !Array.isArray(body.choices)) {
    const fields = errorFieldsOf(body);
    if (fields) throw new UpstreamStreamError(infoOf(200, fields));
  }
  if (!Array.isArray(body.choices) || !body.choices.every((c) => isRecord(c) && isRecord(c.message))) {
    throw new RelayError('upstream_error', 'upstream answer has no valid choices[].message', 502);
  }
  return withFields(body, {
    id: typeof body.id === 'string' && body.id ? body.id : ctx.id,
    object: 'chat.completion',
    created: typeof body.created === 'number' && body.created > 0 ? body.created : ctx.created,
    model: ctx.model,
  }) as unknown as ChatCompletion;
}
