// How a translated answer is written for each client format: canonical chunks (or a canonical completion) → what the
// client reads. OpenAI's format is the canonical one; Anthropic's and Gemini's encoders live with their inbound formats;
// the bots' in-process chat ('text') takes the answer's text itself, with no SSE or JSON around it.
import type { ChatCompletion, ChatCompletionChunk } from '../providers/types.js';
import type { RelayCall } from './call.js';
import type { StreamEncoder } from './inbound/types.js';
import { encodeSse } from './sse.js';

export function streamEncoderFor(call: RelayCall): StreamEncoder {
  switch (call.format) {
    case 'openai':
      return call.clientWantsUsage ? OPENAI_WITH_USAGE : OPENAI;
    case 'text':
      return TEXT;
    default:
      return call.inbound!.createStreamEncoder(call.model);
  }
}

/** A whole (non-stream) answer in the client's format. */
export function encodeCompletion(call: RelayCall, completion: ChatCompletion): string {
  switch (call.format) {
    case 'openai':
      return JSON.stringify(completion);
    case 'text': {
      const content = completion.choices[0]?.message.content;
      return typeof content === 'string' ? content : '';
    }
    default:
      return JSON.stringify(call.inbound!.fromChatCompletion(completion, call.model));
  }
}

/** OpenAI SSE; the final usage-only chunk (choices: []) only for a client that asked for it. Stateless: shared. */
function openAIEncoder(withUsage: boolean): StreamEncoder {
  return {
    encode: (chunk) => (chunk.choices.length > 0 || withUsage ? encodeSse({ data: JSON.stringify(chunk) }) : ''),
    finish: () => DONE,
  };
}
const DONE = encodeSse({ data: '[DONE]' });
const OPENAI = openAIEncoder(false);
const OPENAI_WITH_USAGE = openAIEncoder(true);

/** The answer's text as it streams (the first choice's content; reasoning and tool calls are not shown). */
const TEXT: StreamEncoder = {
  encode: (chunk: ChatCompletionChunk) => {
    const content = chunk.choices[0]?.delta.content;
    return typeof content === 'string' ? content : '';
  },
  finish: () => '',
};
