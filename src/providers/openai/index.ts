// OpenAI itself, and the factory the OpenAI-compatible presets (src/providers/presets.ts) are built with.
import { createOpenAICompatibleAdapter } from './adapter.js';
import { openaiLimitField } from './limit.js';

export { createOpenAICompatibleAdapter, type OpenAICompatibleOptions } from './adapter.js';
export { parseOpenAIError } from './errors.js';
export { openaiUsageOf } from './usage.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com';

export const openaiAdapter = createOpenAICompatibleAdapter({ type: 'openai', limitField: openaiLimitField, responses: true });
