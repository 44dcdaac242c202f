// The Gemini client format (POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse).
import type { InboundFormat } from '../types.js';
import { geminiToChatRequest } from './request.js';
import { geminiFromChatCompletion } from './response.js';
import { GeminiStreamEncoder } from './stream.js';

export const geminiInbound: InboundFormat = {
  format: 'gemini',
  toChatRequest: geminiToChatRequest,
  fromChatCompletion: geminiFromChatCompletion,
  createStreamEncoder: (model) => new GeminiStreamEncoder(model),
};
