// The contract between the platform-neutral bot core and each platform adapter (Telegram, Discord, QQ/OneBot).
// An adapter turns platform events into IncomingMessage and implements ChatTransport; the core decides what to answer.

export type Platform = 'telegram' | 'discord' | 'qq' | 'onebot';

export interface IncomingMessage {
  platform: Platform;
  /** Platform user id as a string (Telegram user id, Discord snowflake, QQ openid, OneBot user_id). */
  userId: string;
  /** Where to answer. */
  chatId: string;
  /** A one-to-one chat with the bot (keys and link codes are only ever shown here). */
  isPrivate: boolean;
  /** The text, including a leading command ("/balance", "/token new x") when it is one. */
  text: string;
  displayName?: string;
  /** Platform message id (QQ passive replies need it). */
  messageId?: string;
  /** The user's language as the platform reports it ("en", "zh-hans", "zh-CN"), when it does. */
  locale?: string;
}

export interface Button {
  label: string;
  /** Opaque callback data the core gets back as a "/command args" text when pressed. */
  data: string;
}

export interface Reply {
  text: string;
  /** Contains a secret (a key): adapters show it ephemerally (Discord) and the core never sends it to a group. */
  sensitive?: boolean;
  buttons?: Button[][];
}

/** A message the transport sent and may later edit. */
export interface SentMessage {
  chatId: string;
  messageId: string;
}

export interface ChatTransport {
  readonly platform: Platform;
  /** Longest message the platform accepts (Telegram 4096, Discord 2000, QQ ~2000). */
  readonly maxMessageLength: number;
  /** Platforms without edit (QQ) buffer a streamed answer and send it in parts. */
  readonly canEdit: boolean;
  /** Minimum time between edits of one message (platform rate limits). */
  readonly minEditIntervalMs: number;
  /**
   * The bot's own user name, when the platform has one (Telegram): "/cmd@name" addressed to another bot is ignored.
   * Unknown (undefined) means every "/cmd@name" is taken as ours.
   */
  readonly botUsername?: string;
  send(chatId: string, reply: Reply): Promise<SentMessage>;
  /** Replaces the text of a message this transport sent (and drops its buttons). Never called with unchanged text. */
  edit(message: SentMessage, text: string): Promise<void>;
  /**
   * A private message to a platform user outside any conversation (admin alerts, low-balance warnings). Optional:
   * platforms that can only answer (QQ passive replies) leave it out, and those notices are skipped for them.
   */
  sendToUser?(platformUserId: string, reply: Reply): Promise<SentMessage>;
  /** A payment request the user pays without leaving the chat (Telegram Stars). Only platforms that have one. */
  sendInvoice?(chatId: string, invoice: Invoice): Promise<SentMessage>;
}

/** An in-chat invoice (Telegram: sendInvoice). `amount` is in the currency's smallest unit (Stars are whole). */
export interface Invoice {
  title: string;
  description: string;
  /** Comes back with the payment: the order number. */
  payload: string;
  currency: string;
  amount: number;
}
