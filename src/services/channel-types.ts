// What the channel service needs to know about channel types: which exist (the provider registry's list), which need
// a key, and the default base URL of those that have one.
import { CHANNEL_TYPES, defaultBaseUrl as registryDefaultBaseUrl } from '../providers/registry.js';

/** Self-hosted servers commonly run without authentication. */
const KEYLESS_TYPES = new Set(['ollama', 'vllm', 'custom']);

export const knownChannelTypes = (): readonly string[] => CHANNEL_TYPES;
export const channelTypeKnown = (type: string): boolean => CHANNEL_TYPES.includes(type);
export const defaultBaseUrl = (type: string): string | undefined => registryDefaultBaseUrl(type);
export const typeNeedsKey = (type: string): boolean => !KEYLESS_TYPES.has(type);
