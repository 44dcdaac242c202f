// The Responses API client format (POST /v1/responses) on top of the canonical OpenAI chat format, for every channel
// that does not speak it natively. One per call: a translated answer echoes its request's settings and gives freeform
// tools' calls back as custom_tool_call items.
import { randomBytes } from 'node:crypto';
import type { InboundFormat } from '../types.js';
import type { JsonObject } from '../../../providers/json.js';
import { fromChatCompletion, type ResponseContext } from './response.js';
import { toResponsesRequest } from './request.js';
import { ResponsesStreamEncoder } from './stream-encoder.js';

export function responsesInbound(body: JsonObject, customTools: ReadonlySet<string>, createdAt: number): InboundFormat {
  const ctx: ResponseContext = { id: randomBytes(16).toString('hex'), body, customTools };
  return {
    format: 'responses',
    toChatRequest: (raw) => toResponsesRequest(raw).chat,
    fromChatCompletion: (completion, model) => fromChatCompletion(ctx, completion, model),
    createStreamEncoder: (model) => new ResponsesStreamEncoder(ctx, model, createdAt),
    outputItems: () => ctx.output,
  };
}

export { toResponsesRequest, type ResponsesRequest } from './request.js';
