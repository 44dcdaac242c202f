// One chat turn: the stored history plus the new message go to the relay's chat function (billed and logged like an
// API call), the answer streams into the chat, and both messages join the history. Then, on a new conversation's
// first exchange, the optional auto-title call; then the optional low-balance warning.
import type { BotSettings, BotUser, Conversation, StoredMessage } from './backend.js';
import { StreamedReply } from './chat-stream.js';
import type { BotContext } from './context.js';
import { describeError } from './errors.js';
import { lowBalanceWarning } from './notifications.js';

const TITLE_PROMPT =
  'Write a short title (at most 6 words) for the conversation below. Answer with the title only, without quotes.';
/** How much of the first exchange the title model sees: enough for a topic, cheap to bill. */
const TITLE_EXCERPT = 1000;
const TITLE_MAX = 80;

export async function chatTurn(ctx: BotContext, user: BotUser, text: string): Promise<void> {
  const { backend, message } = ctx;
  const settings = await backend.getSettings(user.id);
  const conversation = await backend.activeConversation(
    { platform: message.platform, chatId: message.chatId, userId: user.id },
    settings.chatModel,
  );
  const question: StoredMessage = { role: 'user', content: text };
  const stream = new StreamedReply(ctx.transport, message.chatId, { log: ctx.log });
  await stream.start();

  let answer: string;
  let charged: number;
  try {
    const result = await backend.chat({
      userId: user.id,
      model: conversation.model,
      messages: [...conversation.messages, question],
      source: message.platform,
      purpose: 'chat',
      onDelta: (delta) => stream.push(delta),
    });
    // A non-streaming upstream delivers no deltas: show the whole answer instead.
    if (!stream.text) stream.push(result.text);
    answer = result.text;
    charged = result.quota;
  } catch (err) {
    await stream.finish(`⚠️ ${describeError(err, ctx.log, { platform: message.platform, what: 'chat' })}`);
    return;
  }
  await stream.finish();
  await backend.appendMessages(conversation.id, [question, { role: 'assistant', content: answer }]);

  if (conversation.messages.length === 0 && settings.autoTitle) {
    charged += await autoTitle(ctx, user, settings, conversation, text, answer);
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

/** The warning goes to the user privately where the platform allows it, so a group never sees someone's balance. */
async function warnIfLow(ctx: BotContext, user: BotUser, settings: BotSettings, charged: number): Promise<void> {
  if (settings.lowQuotaNotice === null || charged <= 0) return;
  const account = await ctx.backend.getAccount(user.id);
  const warning = lowBalanceWarning(settings.lowQuotaNotice, account.quota + charged, account.quota);
  if (!warning) return;
  if (ctx.chat.isPrivate) {
    await ctx.reply(warning);
    return;
  }
  // In a group, only privately; where that is impossible (official QQ, a user who never opened a private chat) the
  // warning is dropped rather than showing someone's balance to the group.
  if (!ctx.transport.sendToUser) return;
  try {
    await ctx.transport.sendToUser(ctx.message.userId, { text: warning });
  } catch (err) {
    ctx.log.warn({ err }, 'could not send the low-balance warning privately');
  }
}
