// koishi sessions into the bot core. Every core command is registered as a koishi command (so koishi lists it and
// routes it like any plugin's), and everything else a user writes falls through to the core too: in a private chat
// that is a chat message, in a group (or QQ guild channel) a message that @-mentions the bot goes to the model, others
// only in chat mode. The core parses the original text itself, so koishi's own argument and option parsing ("-h")
// never changes what the user typed.
//
// Before a message is handled, the rest of an earlier answer that QQ's reply window cut off is delivered with it
// (reply-transport.ts); what this answer cannot deliver is kept for the next one.
import type { AddressPolicy } from '../../src/net/safe-fetch.js';
import { safeFetch } from '../../src/net/safe-fetch.js';
import type { BotBackend, BotCore, BotLogger, ChatKey, ImageSource, IncomingMessage, Platform, Reply, SentMessage } from '../core/index.js';
import { MAX_IMAGE_BYTES } from '../core/images.js';
import { koishi, type KoishiContext, type KoishiElement, type KoishiSession } from './koishi.js';
import { ReplyTransport, type ReplyPolicy, type SendText } from './reply-transport.js';

export interface BridgeOptions {
  core: BotCore;
  /** Where an answer cut off by QQ's reply window waits for the user's next message. */
  backend: Pick<BotBackend, 'savePendingReply' | 'takePendingReply'>;
  log: BotLogger;
  /** The core platform a session belongs to; undefined ignores the session (another adapter's bot, say). */
  platformOf(session: KoishiSession): Platform | undefined;
  policyFor(platform: Platform): ReplyPolicy;
  /** Private messages outside the conversation, where the platform allows them (OneBot; QQ only answers). */
  sendToUser?: Partial<Record<Platform, UserSender>>;
  /** Which addresses image downloads may reach (tests: the local fakes). Default: public addresses only. */
  imagePolicy?: AddressPolicy;
}

export type UserSender = (platformUserId: string, reply: Reply) => Promise<SentMessage>;

const COMMAND_CONFIG = { checkArgCount: false, checkUnknown: false, showWarning: false } as const;
const IMAGE_TIMEOUT_MS = 20_000;

export function installCoreBridge(ctx: KoishiContext, options: BridgeOptions): void {
  const forward = (session: KoishiSession): Promise<void> => forwardToCore(session, options);
  for (const command of options.core.commands) {
    ctx.command(command.name, command.description('zh'), COMMAND_CONFIG).action(async ({ session }) => {
      if (session) await forward(session);
    });
  }
  // After koishi's command middleware: only what no command took arrives here.
  ctx.middleware(async (session, next) => (options.platformOf(session) ? forward(session) : next()));
}

async function forwardToCore(session: KoishiSession, options: BridgeOptions): Promise<void> {
  const platform = options.platformOf(session);
  const text = messageText(session);
  const images = imagesOf(session, options.imagePolicy);
  const { userId, channelId } = session;
  if (!platform || (!text && images.length === 0) || !userId || !channelId || userId === session.selfId) return;
  const message: IncomingMessage = {
    platform,
    userId,
    chatId: channelId,
    isPrivate: session.isDirect,
    text,
    displayName: session.event.user?.name ?? session.author?.nick ?? undefined,
    messageId: session.messageId,
    addressed: !session.isDirect && mentionsBot(session),
    ...(images.length ? { images } : {}),
  };
  const key: ChatKey = { platform, chatId: channelId, platformUserId: userId };
  const policy = options.policyFor(platform);
  const transport = new ReplyTransport((part) => sendInSession(session, part), policy, {
    sendToUser: options.sendToUser?.[platform],
    active: (part) => sendActive(session, part),
    receivedAt: session.timestamp || Date.now(),
  });
  try {
    // Only where a window can cut an answer off is there anything to take.
    const pending = policy.replyWindowMs === undefined ? null : await options.backend.takePendingReply(key);
    if (pending) await transport.send(channelId, { text: pending });
    await options.core.handle(message, transport);
    await transport.finish();
    const undelivered = transport.undelivered;
    if (undelivered) await options.backend.savePendingReply(key, undelivered);
  } catch (err) {
    options.log.error({ err: summary(err), platform }, 'could not answer a koishi message');
  }
}

/**
 * The user's text without the leading @-mentions koishi strips for commands (QQ group messages start with one).
 * Text elements only, unescaped: a chat message about "<b>" reaches the model as typed.
 */
export function messageText(session: KoishiSession): string {
  const elements = [...(session.elements ?? [])];
  while (elements[0]?.type === 'at' || (elements[0]?.type === 'text' && !String(elements[0].attrs['content'] ?? '').trim() && elements[1]?.type === 'at')) {
    elements.shift();
  }
  return textOf(elements).trim();
}

function textOf(elements: KoishiElement[]): string {
  return elements
    .map((el) => (el.type === 'text' ? String(el.attrs['content'] ?? '') : el.type === 'at' ? '' : textOf(el.children)))
    .join('');
}

/** A group message that @-mentions the bot (QQ delivers group and guild messages only when they do). */
function mentionsBot(session: KoishiSession): boolean {
  return (session.elements ?? []).some((el) => el.type === 'at' && String(el.attrs['id'] ?? '') === session.selfId);
}

/** Images in the message (QQ attachments, OneBot image segments), downloaded only if the core needs them. */
function imagesOf(session: KoishiSession, policy: AddressPolicy | undefined): ImageSource[] {
  const urls = koishi.h.select(session.elements ?? [], 'img').map((el) => String(el.attrs['src'] ?? el.attrs['url'] ?? ''));
  return urls
    .filter((url) => /^https?:\/\//.test(url))
    .map((url) => ({
      async fetch() {
        const { bytes, contentType } = await safeFetch(url, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: IMAGE_TIMEOUT_MS, policy });
        return { bytes, mime: contentType };
      },
    }));
}

/**
 * A reply in the session's conversation. Passing the session makes it a passive reply on QQ (msg_id of the incoming
 * message, msg_seq counted on the session). The text goes as a text element, so nothing in it is read as markup.
 * Undefined when the platform refused it.
 */
export async function sendInSession(session: KoishiSession, text: string): Promise<string | undefined> {
  const ids = await session.bot.sendMessage(session.channelId!, koishi.h.text(text), session.guildId, { session });
  return ids[0];
}

/** The QQ API calls an active message needs (@satorijs/adapter-qq's internal API, as its encoder uses it). */
interface QqInternal {
  sendPrivateMessage?(openid: string, data: object): Promise<{ id?: string }>;
  sendMessage?(channelId: string, data: object): Promise<{ id?: string }>;
}

/**
 * An active (unprompted) message in the session's chat: official QQ only, after the reply window. QQ rations these
 * and may refuse; undefined then. OneBot has no window and never needs one.
 */
export const sendActive: (session: KoishiSession, text: string) => ReturnType<SendText> = async (session, text) => {
  if (session.platform !== 'qq' && session.platform !== 'qqguild') return undefined;
  const internal = session.bot.internal as QqInternal;
  const data = { content: text, msg_type: 0 };
  const channelId = session.channelId!;
  if (session.platform === 'qqguild') {
    // Guild channels take active messages; guild direct messages ("guild_channel") are left for the next message.
    return channelId.includes('_') ? undefined : (await internal.sendMessage?.(channelId, { content: text }))?.id;
  }
  const sent = session.isDirect ? await internal.sendPrivateMessage?.(channelId, data) : await internal.sendMessage?.(channelId, data);
  return sent?.id;
};

function summary(err: unknown): { message: string } {
  return { message: err instanceof Error ? err.message : String(err) };
}
