// Every channel type the relay can serve, and the adapter that speaks to it.
import { anthropicAdapter } from './anthropic/index.js';
import { azureAdapter } from './azure/index.js';
import { GEMINI_DEFAULT_BASE_URL, geminiAdapter } from './gemini/index.js';
import { OPENAI_DEFAULT_BASE_URL, openaiAdapter } from './openai/index.js';
import { OPENAI_COMPATIBLE_PRESETS, type ChannelTypeInfo } from './presets.js';
import type { ProviderAdapter } from './types.js';

export type { ChannelTypeInfo } from './presets.js';

const CHANNEL_TYPE_INFOS: readonly ChannelTypeInfo[] = [
  { type: 'openai', label: 'OpenAI', defaultBaseUrl: OPENAI_DEFAULT_BASE_URL, adapter: openaiAdapter },
  // Each Azure resource has its own endpoint (https://<resource>.openai.azure.com).
  { type: 'azure', label: 'Azure OpenAI', defaultBaseUrl: undefined, adapter: azureAdapter },
  { type: 'anthropic', label: 'Anthropic', defaultBaseUrl: 'https://api.anthropic.com', adapter: anthropicAdapter },
  { type: 'gemini', label: 'Google Gemini', defaultBaseUrl: GEMINI_DEFAULT_BASE_URL, adapter: geminiAdapter },
  ...OPENAI_COMPATIBLE_PRESETS,
];

const BY_TYPE: ReadonlyMap<string, ChannelTypeInfo> = new Map(CHANNEL_TYPE_INFOS.map((info) => [info.type, info]));

/** The channel types, in the order the management UI lists them. */
export const CHANNEL_TYPES: readonly string[] = CHANNEL_TYPE_INFOS.map((info) => info.type);

export function adapterFor(type: string): ProviderAdapter | undefined {
  return BY_TYPE.get(type)?.adapter;
}

/** The base URL a new channel of this type starts with; undefined when each channel has its own. */
export function defaultBaseUrl(type: string): string | undefined {
  return BY_TYPE.get(type)?.defaultBaseUrl;
}

/** Type, label and default base URL of every channel type (for the management UI). */
export function channelTypeInfos(): readonly ChannelTypeInfo[] {
  return CHANNEL_TYPE_INFOS;
}
