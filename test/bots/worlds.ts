// The worlds the shared bot suite (core-suite.ts) runs in: the in-memory double (here), and the real relay backend
// (relay-world.ts: services, pricing, ledger and the in-process chat pipeline on a real database, with a fake OpenAI
// upstream). The suite sets a world up and looks into it only through this interface, so one set of expectations holds
// for both.
import { randomUUID } from 'node:crypto';
import type { BotBackend, ChannelInfo, Role } from '../../bots/core/backend.js';
import type { Platform } from '../../bots/core/types.js';
import type { ChatCallInput } from '../../src/relay/chat.js';
import type { Options } from '../../src/services/options.js';
import { MemoryBackend, type ScriptedAnswer } from './memory-backend.js';

/** What the model does for one chat call: an answer, or (to test the core's handling of bugs) a crash. */
export type Script = (input: ChatCallInput) => ScriptedAnswer | { crash: Error };

export interface GroupSeed {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
  models: string[];
}

export type ChannelSeed = Pick<ChannelInfo, 'name' | 'type' | 'status' | 'disabledReason' | 'priority' | 'responseTimeMs'>;

export interface BotWorld {
  readonly backend: BotBackend;
  /** Every chat call the core made (titles too), in order. */
  readonly chatCalls: ChatCallInput[];
  addUser(fields: { username: string; role?: Role; quota?: number }): Promise<number>;
  setQuota(userId: number, quota: number): Promise<void>;
  link(platform: Platform, platformUserId: string, userId: number): Promise<void>;
  /** A one-time link code for the user. */
  issueLinkCode(userId: number): Promise<string>;
  /** A redemption code worth `quota` units. */
  addRedemption(quota: number): Promise<string>;
  addGroup(group: GroupSeed): Promise<void>;
  /** The group's channels serve one more model. */
  addModel(group: string, model: string): Promise<void>;
  addChannel(channel: ChannelSeed): Promise<number>;
  setOptions(patch: Partial<Options>): Promise<void>;
  /** What the model answers from now on (default: "Hello!"). */
  answer(script: Script): void;
}

/** Opens a fresh world for each test; `close` ends whatever the worlds shared. */
export interface WorldFactory {
  readonly name: string;
  open(): Promise<BotWorld>;
  close(): Promise<void>;
}

export const HELLO: Script = () => ({ deltas: ['Hello!'] });

/** Records the core's chat calls and lets a script crash one, in front of either backend. */
export function recordingChat(backend: BotBackend, script: () => Script): ChatCallInput[] {
  const calls: ChatCallInput[] = [];
  const chat = backend.chat;
  backend.chat = async (input) => {
    calls.push(input);
    const step = script()(input);
    if ('crash' in step) throw step.crash;
    return chat(input);
  };
  return calls;
}

export function memoryWorlds(): WorldFactory {
  return {
    name: 'the memory double',
    async open() {
      const backend = new MemoryBackend();
      let script = HELLO;
      backend.answer((input) => script(input) as ScriptedAnswer);
      const chatCalls = recordingChat(backend, () => script);
      return {
        backend,
        chatCalls,
        async addUser(fields) {
          return backend.addUser(fields);
        },
        async setQuota(userId, quota) {
          backend.users.get(userId)!.quota = quota;
        },
        async link(platform, platformUserId, userId) {
          backend.link(platform, platformUserId, userId);
        },
        async issueLinkCode(userId) {
          return backend.issueLinkCode(userId, `LINK${randomUUID().slice(0, 8).toUpperCase()}`);
        },
        async addRedemption(quota) {
          const code = `CODE${randomUUID().replaceAll('-', '').toUpperCase()}`;
          backend.addRedemption(code, quota);
          return code;
        },
        async addGroup(group) {
          backend.addGroup(group);
        },
        async addModel(group, model) {
          backend.groups.get(group)!.models.push(model);
        },
        async addChannel(channel) {
          return backend.addChannel(channel);
        },
        async setOptions(patch) {
          Object.assign(backend.options, patch);
        },
        answer(next) {
          script = next;
        },
      };
    },
    async close() {},
  };
}
