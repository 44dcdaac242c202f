// An in-memory ChatTransport that behaves like a strict platform: it refuses an edit that does not change the text
// (Telegram's "message is not modified") and a message longer than the platform allows, and records everything
// so tests can read the chat as a user would see it.
import type { Button, ChatTransport, Platform, Reply, SentMessage } from '../../bots/core/types.js';

export interface RecordedMessage {
  chatId: string;
  messageId: string;
  /** Current text (after edits). */
  text: string;
  buttons: Reply['buttons'];
  sensitive: boolean;
  edits: number;
  /** Sent with sendToUser (a private notice), not as a reply. */
  direct: boolean;
  /** The message it quotes (group answers). */
  replyTo: string | undefined;
}

export interface RecordedOperation {
  kind: 'send' | 'edit';
  chatId: string;
  messageId: string;
  text: string;
  at: number;
}

export interface RecordingTransport extends ChatTransport {
  readonly messages: RecordedMessage[];
  readonly operations: RecordedOperation[];
}

export interface FakeTransportOptions {
  platform: Platform;
  maxMessageLength: number;
  canEdit: boolean;
  minEditIntervalMs: number;
  botUsername?: string;
  /** Whether the platform can message a user outside a conversation. */
  canMessageUsers?: boolean;
  /** Native buttons (default where the platform can edit) or numbered choices (QQ, OneBot). */
  buttons?: 'native' | 'numbered';
  maxButtonData?: number;
}

export function createFakeTransport(opts: FakeTransportOptions): RecordingTransport {
  const messages: RecordedMessage[] = [];
  const operations: RecordedOperation[] = [];
  let nextId = 1;

  const record = (chatId: string, reply: Reply, direct: boolean): SentMessage => {
    if (reply.text.length === 0) throw new Error('fake transport: empty message');
    if (reply.text.length > opts.maxMessageLength) {
      throw new Error(`fake transport: message of ${reply.text.length} characters exceeds ${opts.maxMessageLength}`);
    }
    const messageId = String(nextId++);
    if (reply.buttons?.length && transport.buttons === 'numbered') throw new Error('fake transport: buttons sent to a platform without buttons');
    messages.push({ chatId, messageId, text: reply.text, buttons: reply.buttons, sensitive: reply.sensitive ?? false, edits: 0, direct, replyTo: reply.replyTo });
    operations.push({ kind: 'send', chatId, messageId, text: reply.text, at: Date.now() });
    return { chatId, messageId };
  };

  const transport: RecordingTransport = {
    platform: opts.platform,
    maxMessageLength: opts.maxMessageLength,
    canEdit: opts.canEdit,
    buttons: opts.buttons ?? (opts.canEdit ? 'native' : 'numbered'),
    ...(opts.maxButtonData ? { maxButtonData: opts.maxButtonData } : {}),
    minEditIntervalMs: opts.minEditIntervalMs,
    botUsername: opts.botUsername,
    messages,
    operations,
    async send(chatId, reply) {
      return record(chatId, reply, false);
    },
    async edit(message, text, buttons?: Button[][]) {
      if (!opts.canEdit) throw new Error('fake transport: this platform cannot edit');
      const found = messages.find((m) => m.chatId === message.chatId && m.messageId === message.messageId);
      if (!found) throw new Error(`fake transport: no message ${message.messageId} in ${message.chatId}`);
      if (found.text === text && JSON.stringify(found.buttons) === JSON.stringify(buttons)) throw new Error('fake transport: message is not modified');
      if (text.length > opts.maxMessageLength) throw new Error(`fake transport: edit of ${text.length} characters`);
      found.text = text;
      found.buttons = buttons;
      found.edits++;
      operations.push({ kind: 'edit', chatId: message.chatId, messageId: message.messageId, text, at: Date.now() });
    },
  };
  if (opts.canMessageUsers !== false) {
    return Object.assign(transport, { sendToUser: async (userId: string, reply: Reply) => record(userId, reply, true) });
  }
  return transport;
}

/** A BotLogger that keeps what it was told, so tests can assert on warnings (and on secrets never logged). */
export function memoryLog() {
  const entries: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A recorded keyboard as the user sees it: the owner tags taken off (bots/core/buttons.ts). */
export function untagged(buttons: Button[][] | undefined): Button[][] | undefined {
  return buttons?.map((row) => row.map((b) => ({ label: b.label, data: b.data.slice(b.data.indexOf('|') + 1) })));
}

/**
 * Runs the shared core suite over a real platform transport: every message goes through the real one (so the platform
 * fake sees it) and is recorded by the suite's transport (so the suite's assertions stay platform-neutral).
 */
export function mirrored(real: ChatTransport, recorder: RecordingTransport): RecordingTransport {
  return {
    ...recorder,
    async send(chatId: string, reply): Promise<SentMessage> {
      const recorded = await recorder.send(chatId, reply);
      await real.send(chatId, reply);
      return recorded;
    },
    ...(real.sendToUser && recorder.sendToUser
      ? {
          async sendToUser(userId: string, reply): Promise<SentMessage> {
            const recorded = await recorder.sendToUser!(userId, reply);
            await real.sendToUser!(userId, reply);
            return recorded;
          },
        }
      : {}),
  };
}
