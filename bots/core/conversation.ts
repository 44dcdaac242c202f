// One chat turn: the stored history plus the new message go to the relay's chat function (billed and logged like an
// API call), the answer streams into the chat, and both messages join the history. Then, on a new conversation's
// first exchange, the optional auto-title call; then the optional low-balance warning.
//
// A question with images goes to the vision model (option botVisionModel) with the images inlined as data: URIs, so
// the relay prices them by the vision rule from their real size; the history keeps the text and an "[image]" marker.
import type { ContentPart } from '../../src/providers/types.js';
import type { BotSettings, BotUser, Conversation, StoredMessage } from './backend.js';
import { StreamedReply } from './chat-stream.js';
import type { BotContext } from './context.js';
import { describeError } from './errors.js';
import { readImages, ImageUnreadable } from './images.js';

const TITLE_PROMPT =
  'Write a short title (at most 6 words) for the conversation below. Answer with the title only, without quotes.';
/** How much of the first exchange the title model sees: enough for a topic, cheap to bill. */
const TITLE_EXCERPT = 1000;
const TITLE_MAX = 80;

export async function chatTurn(ctx: BotContext, user: BotUser, text: string): Promise<void> {
  const { backend, message, t } = ctx;
  const settings = await backend.getSettings(user.id);
  const conversation = await backend.activeConversation(
    { platform: message.platform, chatId: message.chatId, userId: user.id },
    settings.chatModel,
  );

  let images: ContentPart[] = [];
  if (message.images?.length) {
    try {
      images = await readImages(message.images);
    } catch (err) {
      if (!(err instanceof ImageUnreadable)) throw err;
      ctx.log.warn({ err: err.cause, platform: message.platform }, 'could not read an image sent to the bot');
      await ctx.reply(t.chat.imageUnreadable);
      return;
    }
  }
  const asked = text || (images.length ? t.chat.imagePrompt : '');
  const question: StoredMessage = { role: 'user', content: images.length ? `${asked} ${t.chat.imageStored}` : asked };
  const stream = new StreamedReply(ctx.transport, message.chatId, {
    log: ctx.log,
    placeholder: t.chat.placeholder,
    empty: t.chat.empty,
    replyTo: message.isPrivate ? undefined : message.messageId,
  });
  await stream.start();

  let answer: string;
  let charged: number;
  let receipt: string | undefined;
  try {
    const result = await backend.chat({
      userId: user.id,
      model: images.length ? settings.visionModel : conversation.model,
      messages: [
        ...conversation.messages,
        images.length ? { role: 'user', content: [{ type: 'text', text: asked }, ...images] } : question,
      ],
      source: message.platform,
      purpose: 'chat',
      conversationId: conversation.id,
      onDelta: (delta) => stream.push(delta),
    });
    // A non-streaming upstream delivers no deltas: show the whole answer instead.
    if (!stream.text) stream.push(result.text);
    answer = result.text;
    charged = result.quota;
    if (settings.receipts) {
      // Someone's balance is theirs: in a group the receipt leaves it out.
      const balance = message.isPrivate ? (await backend.getAccount(user.id)).quota : null;
      receipt = t.chat.receipt({ promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, cost: result.quota, balance });
    }
  } catch (err) {
    await stream.finish(`⚠️ ${describeError(err, ctx.log, t, { platform: message.platform, what: 'chat' })}`);
    return;
  }
  // Stored before the answer is shown whole: what the user has seen survives a restart or a takeover right after.
  await backend.appendMessages(conversation.id, [question, { role: 'assistant', content: answer }]);
  await stream.finish(receipt);

  if (conversation.messages.length === 0 && settings.autoTitle) {
    charged += await autoTitle(ctx, user, settings, conversation, asked, answer);
  }
  await warnIfLow(ctx, user, settings, charged);
}

/** Titles are a convenience: a failure is logged and the chat goes on. Returns the units charged. */
async function autoTitle(
  ctx: BotContext,
  user: BotUser,
  settings: BotSettings,
  conversation: Conversation,
  question: string,
  answer: string,
): Promise<number> {
  try {
    const result = await ctx.backend.chat({
      userId: user.id,
      model: settings.titleModel,
      source: ctx.message.platform,
      purpose: 'title',
      maxTokens: 30,
      messages: [
        { role: 'system', content: TITLE_PROMPT },
        { role: 'user', content: `User: ${question.slice(0, TITLE_EXCERPT)}\n\nAssistant: ${answer.slice(0, TITLE_EXCERPT)}` },
      ],
    });
    const title = cleanTitle(result.text);
    if (title) await ctx.backend.setConversationTitle(conversation.id, title);
    return result.quota;
  } catch (err) {
    ctx.log.warn({ err, conversationId: conversation.id }, 'auto-title failed');
    return 0;
  }
}

export function cleanTitle(raw: string): string {
  const line = raw.trim().split('\n')[0] ?? '';
  return line.replace(/^["'“”«»]+|["'“”«».]+$/g, '').trim().slice(0, TITLE_MAX);
}

/**
 * The low-balance warning, sent once when a charge takes the balance from at or above the user's threshold to below
 * it (not after every later chat). Returns whether it is due.
 */
export function crossedThreshold(threshold: number | null, before: number, after: number): boolean {
  return threshold !== null && threshold > 0 && before >= threshold && after < threshold;
}

/**
 * The warning goes to the user privately, with the amounts. After a chat in a group it goes to the user's private chat
 * where the platform can send one; where it cannot (official QQ) or the message fails (a Telegram user who never opened
 * the bot's private chat), the group is told that the user's balance is low, without any amount, so nobody else
 * learns what someone has.
 */
async function warnIfLow(ctx: BotContext, user: BotUser, settings: BotSettings, charged: number): Promise<void> {
  if (settings.lowQuotaNotice === null || charged <= 0) return;
  const account = await ctx.backend.getAccount(user.id);
  if (!crossedThreshold(settings.lowQuotaNotice, account.quota + charged, account.quota)) return;
  const warning = ctx.t.chat.lowBalance(account.quota, settings.lowQuotaNotice);
  if (ctx.chat.isPrivate) {
    await ctx.reply(warning);
    return;
  }
  if (ctx.transport.sendToUser) {
    try {
      await ctx.transport.sendToUser(ctx.message.userId, { text: warning });
      return;
    } catch (err) {
      ctx.log.warn({ err, platform: ctx.message.platform }, 'could not send the low-balance warning privately; telling the group without amounts');
    }
  }
  await ctx.reply(ctx.t.chat.lowBalanceInGroup(ctx.message.displayName || user.username));
}
