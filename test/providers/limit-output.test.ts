// Each adapter writes the relay's output limit into its own wire format (billing/allowance.ts decides the number):
// the field the client used, else the one the channel type expects for the model.
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/registry.js';
import type { UpstreamTarget } from '../../src/providers/types.js';

const limit = (type: string, body: Record<string, unknown>, model = 'm') => adapterFor(type)!.native.limitOutput(body, 300, model);
const sent = (type: string, body: Record<string, unknown>, model: string) => {
  const target: UpstreamTarget = { baseUrl: 'https://up.test', key: 'k', model, config: {} };
  return JSON.parse(adapterFor(type)!.buildChatRequest({ model, messages: [{ role: 'user', content: 'hi' }], ...body }, target).body!) as Record<string, unknown>;
};

describe('the output limit in each wire format', () => {
  it('OpenAI family: the client’s own field; else max_completion_tokens for reasoning models on OpenAI and Azure, max_tokens elsewhere', () => {
    expect(limit('openai', { max_tokens: 5000 })).toEqual({ max_tokens: 300 });
    expect(limit('openai', { max_completion_tokens: 5000 })).toEqual({ max_completion_tokens: 300 });
    expect(limit('openai', { max_tokens: 5000, max_completion_tokens: 4000 })).toEqual({ max_tokens: 300, max_completion_tokens: 300 });
    expect(limit('openai', {}, 'o4-mini')).toEqual({ max_completion_tokens: 300 });
    expect(limit('openai', {}, 'gpt-5-mini-2025-08-07')).toEqual({ max_completion_tokens: 300 });
    expect(limit('openai', {}, 'gpt-4o')).toEqual({ max_tokens: 300 });
    expect(limit('azure', {}, 'o3')).toEqual({ max_completion_tokens: 300 });
    expect(limit('deepseek', {}, 'deepseek-reasoner')).toEqual({ max_tokens: 300 });
    expect(limit('openrouter', {}, 'openai/o3')).toEqual({ max_tokens: 300 }); // OpenRouter maps max_tokens itself
  });

  it('translated requests to OpenAI and Azure reasoning models carry their limit as max_completion_tokens', () => {
    expect(sent('openai', { max_tokens: 300 }, 'o3')).toMatchObject({ max_completion_tokens: 300 });
    expect(sent('openai', { max_tokens: 300 }, 'o3')).not.toHaveProperty('max_tokens');
    expect(sent('azure', { max_tokens: 300 }, 'o4-mini')).toMatchObject({ max_completion_tokens: 300 });
    expect(sent('openai', { max_tokens: 300 }, 'gpt-4o')).toMatchObject({ max_tokens: 300 });
    expect(sent('qwen', { max_tokens: 300 }, 'qwq-plus')).toMatchObject({ max_tokens: 300 });
  });

  it('Anthropic: max_tokens, and an extended-thinking budget that would not fit below it', () => {
    expect(limit('anthropic', { max_tokens: 64_000 })).toEqual({ max_tokens: 300 });
    const thinking = { type: 'enabled', budget_tokens: 10_000 };
    expect(adapterFor('anthropic')!.native.limitOutput({ max_tokens: 64_000, thinking }, 5000, 'c')).toEqual({
      max_tokens: 5000,
      thinking: { type: 'enabled', budget_tokens: 4999 },
    });
    // Below Anthropic's least budget there is nothing to fit: the upstream says so.
    expect(adapterFor('anthropic')!.native.limitOutput({ max_tokens: 64_000, thinking }, 800, 'c')).toEqual({ max_tokens: 800, thinking });
  });

  it('Gemini: generationConfig.maxOutputTokens, in the spelling the client used, the rest of the config kept', () => {
    expect(limit('gemini', { contents: [] })).toEqual({ contents: [], generationConfig: { maxOutputTokens: 300 } });
    expect(limit('gemini', { generationConfig: { temperature: 0.2, maxOutputTokens: 9000, candidateCount: 2 } })).toEqual({
      generationConfig: { temperature: 0.2, maxOutputTokens: 300, candidateCount: 2 },
    });
    expect(limit('gemini', { generation_config: { max_output_tokens: 9000, top_k: 3 } })).toEqual({ generation_config: { max_output_tokens: 300, top_k: 3 } });
  });
});
