// A core Reply as a Discord message body: text, buttons as action rows, and no pings. A chat answer that quotes
// "@everyone" or a role must never notify anybody, so every message the bot writes disables mention parsing.
import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponentWithCustomId } from 'discord.js';
import type { Button, Reply } from '../core/types.js';

export const DISCORD_MAX_MESSAGE_LENGTH = 2000;
/** Discord's limits on message components. */
const MAX_ROWS = 5;
const MAX_BUTTONS_PER_ROW = 5;
const MAX_CUSTOM_ID = 100;
const MAX_LABEL = 80;

export type ButtonRow = APIActionRowComponent<APIButtonComponentWithCustomId>;

export interface DiscordMessageBody {
  content: string;
  components: ButtonRow[];
  allowed_mentions: { parse: [] };
}

/**
 * The body for a new message. A button whose data is too long for a custom_id (100 characters) cannot be a button:
 * it is spelled out as a command to send instead, so the choice is never silently lost.
 */
export function messageBody(reply: Reply): DiscordMessageBody {
  const rows: ButtonRow[] = [];
  const spelledOut: string[] = [];
  for (const row of (reply.buttons ?? []).slice(0, MAX_ROWS)) {
    const buttons: APIButtonComponentWithCustomId[] = [];
    for (const button of row.slice(0, MAX_BUTTONS_PER_ROW)) {
      if (button.data.length > MAX_CUSTOM_ID) spelledOut.push(spellOut(button));
      else buttons.push(toButton(button, rows.length === 0 && buttons.length === 0));
    }
    if (buttons.length) rows.push({ type: ComponentType.ActionRow, components: buttons });
  }
  const content = spelledOut.length ? `${reply.text}\n\n${spelledOut.join('\n')}` : reply.text;
  return { content, components: rows, allowed_mentions: { parse: [] } };
}

/** The body for an edit: new text, buttons removed (the core's edit contract). */
export function editBody(text: string): DiscordMessageBody {
  return { content: text, components: [], allowed_mentions: { parse: [] } };
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

function spellOut(button: Button): string {
  return `${button.label}: send ${button.data}`;
}
