// koishi sessions into the bot core. Every core command is registered as a koishi command (so koishi lists it and
// routes it like any plugin's), and everything else a user writes falls through to the core too: in a private chat
// that is a chat message, in a group the core decides (chat mode) or stays quiet. The core parses the original text
// itself, so koishi's own argument and option parsing ("-h") never changes what the user typed.
import type { BotCore, BotLogger, IncomingMessage, Platform, Reply, SentMessage } from '../core/index.js';
import { koishi, type KoishiContext, type KoishiElement, type KoishiSession } from './koishi.js';
import { ReplyTransport, type ReplyPolicy } from './reply-transport.js';

export interface BridgeOptions {
  core: BotCore;
  log: BotLogger;
  /** The core platform a session belongs to; undefined ignores the session (another adapter's bot, say). */
  platformOf(session: KoishiSession): Platform | undefined;
  policyFor(platform: Platform): ReplyPolicy;
  /** Private messages outside the conversation, where the platform allows them (OneBot; QQ only answers). */
  sendToUser?: Partial<Record<Platform, UserSender>>;
}

export type UserSender = (platformUserId: string, reply: Reply) => Promise<SentMessage>;

const COMMAND_CONFIG = { checkArgCount: false, checkUnknown: false, showWarning: false } as const;

export function installCoreBridge(ctx: KoishiContext, options: BridgeOptions): void {
  const forward = (session: KoishiSession): Promise<void> => forwardToCore(session, options);
  for (const command of options.core.commands) {
    ctx.command(command.name, command.description, COMMAND_CONFIG).action(async ({ session }) => {
      if (session) await forward(session);
    });
  }
  // After koishi's command middleware: only what no command took arrives here.
  ctx.middleware(async (session, next) => (options.platformOf(session) ? forward(session) : next()));
}

async function forwardToCore(session: KoishiSession, options: BridgeOptions): Promise<void> {
  const platform = options.platformOf(session);
  const text = messageText(session);
  const { userId, channelId } = session;
  if (!platform || !text || !userId || !channelId || userId === session.selfId) return;
  const message: IncomingMessage = {
    platform,
    userId,
    chatId: channelId,
    isPrivate: session.isDirect,
    text,
    displayName: session.event.user?.name ?? session.author?.nick ?? undefined,
    messageId: session.messageId,
  };
  const transport = new ReplyTransport((part) => sendInSession(session, part), options.policyFor(platform), options.sendToUser?.[platform]);
  try {
    await options.core.handle(message, transport);
    await transport.finish();
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
  while (elements[0]?.type === 'at') elements.shift();
  return textOf(elements).trim();
}

function textOf(elements: KoishiElement[]): string {
  return elements
    .map((el) => (el.type === 'text' ? String(el.attrs['content'] ?? '') : textOf(el.children)))
    .join('');
}

/**
 * A reply in the session's conversation. Passing the session makes it a passive reply on QQ (msg_id of the incoming
 * message, msg_seq counted on the session). The text goes as a text element, so nothing in it is read as markup.
 */
export async function sendInSession(session: KoishiSession, text: string): Promise<string | undefined> {
  const ids = await session.bot.sendMessage(session.channelId!, koishi.h.text(text), session.guildId, { session });
  return ids[0];
}

function summary(err: unknown): { message: string } {
  return { message: err instanceof Error ? err.message : String(err) };
}
