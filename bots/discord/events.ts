// Discord events turned into core messages. Interactions are deferred first (Discord drops an interaction that is not
// acknowledged within 3 seconds; a model answer takes longer), then the core answers through an InteractionTransport.
// Autocomplete asks the core for suggestions. DM text goes to the core as is; in a server channel the bot reads only
// messages that @-mention it (Discord delivers their content without the privileged MessageContent intent), and those
// go to the model as addressed chat, answered in the channel as a reply.
import {
  InteractionContextType,
  MessageFlags,
  type Attachment,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type User,
} from 'discord.js';
import type { AddressPolicy } from '../../src/net/safe-fetch.js';
import { safeFetch } from '../../src/net/safe-fetch.js';
import { decodePress, messages, type BotCore, type ImageSource, type IncomingMessage, type Reply } from '../core/index.js';
import { MAX_IMAGE_BYTES } from '../core/images.js';
import type { ChannelTransport } from './channel-transport.js';
import { argsOf, commandText, isPublicCommand } from './commands.js';
import { InteractionTransport } from './interaction-transport.js';

export interface DiscordHandlerDeps {
  core: BotCore;
  channels: ChannelTransport;
  minEditIntervalMs: number;
  /** Which addresses image downloads may reach (tests allow the local fake; default: public addresses only). */
  imagePolicy?: AddressPolicy;
}

const IMAGE_TIMEOUT_MS = 20_000;

export async function onInteraction(interaction: Interaction, deps: DiscordHandlerDeps): Promise<void> {
  if (interaction.isChatInputCommand()) return onSlashCommand(interaction, deps);
  if (interaction.isButton()) return onButton(interaction, deps);
  if (interaction.isAutocomplete()) return onAutocomplete(interaction, deps);
}

async function onSlashCommand(interaction: ChatInputCommandInteraction, deps: DiscordHandlerDeps): Promise<void> {
  const ephemeral = !isPublicCommand(interaction.commandName);
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const transport = new InteractionTransport(interaction, { ephemeral, updatesMessage: false, ...shared(deps) });
  const message = incoming(interaction, commandText(interaction, deps.core.commands));
  const image = interaction.options.getAttachment('image', false);
  if (image) message.images = [imageSource(image, deps)];
  await deps.core.handle(message, transport);
  await transport.dismiss();
}

/** A button's data is the command the core asked to get back ("/token del 3 confirm"), tagged with its owner. */
async function onButton(interaction: ButtonInteraction, deps: DiscordHandlerDeps): Promise<void> {
  const press = decodePress(interaction.customId, interaction.user.id);
  if (!press.ok) {
    // Someone else's button: told privately, the message stays as it is.
    const lang = await deps.core.languageOf({ platform: 'discord', userId: interaction.user.id, locale: interaction.locale });
    await interaction.reply({ content: messages(lang).buttons.notYours, flags: MessageFlags.Ephemeral });
    return;
  }
  // Type 6: the answer replaces the message with the buttons, so a confirmation cannot be pressed twice.
  await interaction.deferUpdate();
  const ephemeral = interaction.message.flags.has(MessageFlags.Ephemeral);
  const transport = new InteractionTransport(interaction, { ephemeral, updatesMessage: true, ...shared(deps) });
  await deps.core.handle(incoming(interaction, press.command), transport);
}

/** Suggestions for the option being typed: the user's groups, models, keys (channels for admins). */
async function onAutocomplete(interaction: AutocompleteInteraction, deps: DiscordHandlerDeps): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const command = deps.core.commands.find((c) => c.name === interaction.commandName);
  const arg = argsOf(command, interaction.options.getSubcommand(false)).find((a) => a.name === focused.name);
  if (!arg?.complete) return void (await interaction.respond([]));
  const asker = { platform: 'discord' as const, userId: interaction.user.id, locale: interaction.locale };
  const suggestions = await deps.core.suggest(asker, arg.complete, String(focused.value));
  const numeric = arg.type === 'integer';
  await interaction.respond(suggestions.map((s) => ({ name: s.label.slice(0, 100), value: numeric ? Number(s.value) : s.value })));
}

export async function onMessage(message: Message, deps: DiscordHandlerDeps): Promise<void> {
  if (message.author.bot) return;
  const images = message.attachments.filter((a) => a.contentType?.startsWith('image/') ?? false).map((a) => imageSource(a, deps));
  if (!message.inGuild()) {
    if (!message.content && images.length === 0) return;
    await deps.core.handle({ ...fromMessage(message, message.content, true), ...(images.length ? { images } : {}) }, deps.channels);
    return;
  }
  // In a server: only what @-mentions the bot reaches it (and is meant for it).
  const self = message.client.user.id;
  if (!message.mentions.users.has(self)) return;
  const text = message.content.replace(new RegExp(`<@!?${self}>`, 'g'), ' ').trim();
  if (!text && images.length === 0) return;
  const incomingMessage: IncomingMessage = {
    ...fromMessage(message, text, false),
    addressed: true,
    locale: message.guild?.preferredLocale,
    ...(images.length ? { images } : {}),
  };
  await deps.core.handle(incomingMessage, deps.channels);
}

function fromMessage(message: Message, text: string, isPrivate: boolean): IncomingMessage {
  return {
    platform: 'discord',
    userId: message.author.id,
    chatId: message.channelId,
    isPrivate,
    text,
    displayName: displayName(message.author),
    messageId: message.id,
  };
}

function incoming(interaction: ChatInputCommandInteraction | ButtonInteraction, text: string): IncomingMessage {
  return {
    platform: 'discord',
    userId: interaction.user.id,
    chatId: interaction.channelId ?? interaction.user.id,
    isPrivate: isBotDm(interaction),
    text,
    displayName: displayName(interaction.user),
    messageId: interaction.id,
    locale: interaction.locale,
  };
}

/** An attachment, downloaded (public addresses only, bounded) when the core needs it. */
function imageSource(attachment: Attachment, deps: DiscordHandlerDeps): ImageSource {
  return {
    async fetch() {
      if (attachment.size > MAX_IMAGE_BYTES) throw new Error(`attachment of ${attachment.size} bytes is over the limit`);
      const { bytes, contentType } = await safeFetch(attachment.url, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: IMAGE_TIMEOUT_MS, policy: deps.imagePolicy });
      return { bytes, mime: contentType };
    },
  };
}

/**
 * Only the bot's own DM is private; a server channel or a group DM (user-installed apps) is not. Payloads without a
 * context predate group DMs: there, no guild means the bot's DM.
 */
function isBotDm(interaction: ChatInputCommandInteraction | ButtonInteraction): boolean {
  if (interaction.context !== null) return interaction.context === InteractionContextType.BotDM;
  return !interaction.guildId;
}

function displayName(user: User): string {
  return user.globalName ?? user.username;
}

function shared(deps: DiscordHandlerDeps) {
  return {
    minEditIntervalMs: deps.minEditIntervalMs,
    sendToUser: (userId: string, reply: Reply) => deps.channels.sendToUser(userId, reply),
  };
}
