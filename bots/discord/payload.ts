// A core Reply as a Discord message body: text, buttons as action rows, the question it answers, and no pings. A chat
// answer that quotes "@everyone" or a role must never notify anybody, so every message the bot writes disables
// mention parsing. (Buttons too long for a custom_id were already spelled out by the core: maxButtonData.)
import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponentWithCustomId } from 'discord.js';
import type { Button, Reply } from '../core/types.js';

export const DISCORD_MAX_MESSAGE_LENGTH = 2000;
/** custom_id is 1–100 characters. */
export const DISCORD_MAX_BUTTON_DATA = 100;
/** Discord's limits on message components. */
const MAX_ROWS = 5;
const MAX_BUTTONS_PER_ROW = 5;
const MAX_LABEL = 80;

export type ButtonRow = APIActionRowComponent<APIButtonComponentWithCustomId>;

export interface DiscordMessageBody {
  content: string;
  components: ButtonRow[];
  allowed_mentions: { parse: []; replied_user?: boolean };
  message_reference?: { message_id: string; fail_if_not_exists: false };
}

function rowsOf(buttons: Button[][] | undefined): ButtonRow[] {
  return (buttons ?? []).slice(0, MAX_ROWS).map((row, r) => ({
    type: ComponentType.ActionRow,
    components: row.slice(0, MAX_BUTTONS_PER_ROW).map((b, i) => toButton(b, r === 0 && i === 0)),
  }));
}

/** The body for a new message. */
export function messageBody(reply: Reply): DiscordMessageBody {
  return {
    content: reply.text,
    components: rowsOf(reply.buttons),
    // Quoting the question in a server channel, without pinging its author.
    ...(reply.replyTo
      ? { message_reference: { message_id: reply.replyTo, fail_if_not_exists: false }, allowed_mentions: { parse: [], replied_user: false } }
      : { allowed_mentions: { parse: [] } }),
  };
}

/** The body for an edit: new text, and the new buttons (none when left out: the core's edit contract). */
export function editBody(text: string, buttons?: Button[][]): DiscordMessageBody {
  return { content: text, components: rowsOf(buttons), allowed_mentions: { parse: [] } };
}

function toButton(button: Button, primary: boolean): APIButtonComponentWithCustomId {
  return {
    type: ComponentType.Button,
    // The first choice is the one the core leads with ("Delete"); the rest are secondary.
    style: primary ? ButtonStyle.Primary : ButtonStyle.Secondary,
    label: button.label.slice(0, MAX_LABEL),
    custom_id: button.data,
  };
}
