// In-process chat calls for the bots: the same pipeline as POST /v1/chat/completions (routing, failover, billing,
// usage log), called as a function, so bot usage and API usage have one path. Billed to the account (no relay token).
import type { ChatMessage, Usage } from '../providers/types.js';

export type CallSource = 'api' | 'telegram' | 'discord' | 'qq' | 'onebot';

export interface ChatCallInput {
  userId: number;
  model: string;
  messages: ChatMessage[];
  /** Recorded on the usage log entry. */
  source: CallSource;
  /** 'title' calls are logged as their own entry (the FAQ's "extra billing entry"). */
  purpose?: 'chat' | 'title';
  maxTokens?: number;
  /** The bot conversation: its calls keep to one upstream key (prompt-cache affinity, relay/affinity.ts). */
  conversationId?: number;
  signal?: AbortSignal;
  /** Called with each new piece of the answer as it streams in. */
  onDelta?: (text: string) => void;
}

export interface ChatCallResult {
  text: string;
  model: string;
  usage: Usage;
  /** Quota units charged for this call. */
  quota: number;
}

/** Throws RelayError with a user-presentable message (quota exhausted, model not in group, no channel, upstream error). */
export type ChatFunction = (input: ChatCallInput) => Promise<ChatCallResult>;
