// Messages the bots send on their own: admin alerts when the relay disables a channel. A registry knows which
// platforms run in this process and can message users; the notifier words each alert in the admin's language, with
// buttons to re-test, enable or disable the channel (numbered platforms get the commands spelled out instead), and
// sends it to every linked admin identity on those platforms. Delivery across instances: bots/notice-outbox.ts.
import { redactSecrets } from '../../src/auth/redact.js';
import type { BotBackend, PlatformIdentity } from './backend.js';
import { ownButton } from './buttons.js';
import type { BotLogger } from './errors.js';
import { channelButtons } from './handlers/admin.js';
import { chooseLang, messages, type Messages } from './i18n/index.js';
import type { Button, ChatTransport, Platform, Reply } from './types.js';

export class TransportRegistry {
  readonly #transports = new Map<Platform, ChatTransport>();

  /** Returns the function that unregisters it (call it when the bot stops). */
  register(transport: ChatTransport): () => void {
    this.#transports.set(transport.platform, transport);
    return () => {
      if (this.#transports.get(transport.platform) === transport) this.#transports.delete(transport.platform);
    };
  }

  get(platform: Platform): ChatTransport | undefined {
    return this.#transports.get(platform);
  }

  /** The platforms running here that can message users. */
  get platforms(): Platform[] {
    return [...this.#transports.values()].filter((t) => t.sendToUser).map((t) => t.platform);
  }

  /** Sends a text (no buttons) to one identity; false when its platform is not running or cannot message users. Never throws. */
  async sendToUser(identity: PlatformIdentity, reply: Reply, log: BotLogger): Promise<boolean> {
    const transport = this.#transports.get(identity.platform);
    if (!transport?.sendToUser) return false;
    try {
      await transport.sendToUser(identity.platformUserId, reply);
      return true;
    } catch (err) {
      // A user who blocked the bot must not stop the alert reaching the other admins.
      log.warn({ err, platform: identity.platform }, 'could not deliver a bot notification');
      return false;
    }
  }
}

/** Buttons as this transport takes them: tagged with their owner, or spelled out where there are none. */
export function forTransport(transport: ChatTransport, reply: Reply, owner: string, t: Messages): Reply {
  if (!reply.buttons?.length) return reply;
  if (transport.buttons === 'native') return { ...reply, buttons: reply.buttons.map((row) => row.map((b) => ownButton(b, owner))) };
  const lines = reply.buttons.flat().map((b: Button) => t.buttons.spelledOut(b.label, b.data));
  return { ...reply, text: `${reply.text}\n\n${lines.join('\n')}`, buttons: undefined };
}

export interface ChannelDisabledNotice {
  channelId: number;
  channelName: string;
  reason: string;
  /** Absent: the channel was disabled. cooled / recovered: its circuit breaker opened or closed (src/relay/breaker.ts). */
  kind?: 'cooled' | 'recovered';
  /** The key concerned, by mask; null or absent: the channel as a whole. */
  keyMask?: string | null;
  /** cooled: until when (ISO time). */
  until?: string;
  /** cooled: no other key of the channel can serve now. */
  channelOut?: boolean;
}

export interface Notifier {
  /** Alerts every linked admin on the platforms running here. Resolves to the number reached; never throws. */
  channelAutoDisabled(notice: ChannelDisabledNotice): Promise<number>;
  /** Alerts one admin identity (the outbox's delivery). Never throws. */
  deliver(identity: PlatformIdentity, notice: ChannelDisabledNotice): Promise<boolean>;
}

export function createNotifier(backend: BotBackend, registry: TransportRegistry, log: BotLogger): Notifier {
  const deliver = async (identity: PlatformIdentity, notice: ChannelDisabledNotice): Promise<boolean> => {
    const transport = registry.get(identity.platform);
    if (!transport?.sendToUser) return false;
    let t: Messages;
    try {
      t = messages(chooseLang(await backend.getLanguage(identity.platform, identity.platformUserId), undefined, identity.platform));
    } catch (err) {
      log.warn({ err }, "could not read an admin's language; alerting in English");
      t = messages('en');
    }
    // The reason is the upstream's refusal, which may quote the key it was given.
    const reason = redactSecrets(notice.reason);
    const key = notice.keyMask ?? null;
    const text =
      notice.kind === 'cooled'
        ? t.admin.alertCooled(notice.channelId, notice.channelName, key, reason, notice.until ?? '', notice.channelOut === true)
        : notice.kind === 'recovered'
          ? t.admin.alertRecovered(notice.channelId, notice.channelName, key)
          : t.admin.alert(notice.channelId, notice.channelName, reason);
    const reply: Reply = {
      text,
      buttons: [channelButtons(t, { id: notice.channelId, status: notice.kind ? 'enabled' : 'auto_disabled' })],
    };
    return registry.sendToUser(identity, forTransport(transport, reply, identity.platformUserId, t), log);
  };
  return {
    deliver,
    async channelAutoDisabled(notice) {
      let identities: PlatformIdentity[];
      try {
        identities = await backend.adminIdentities();
      } catch (err) {
        log.error({ err }, 'could not list admins to notify');
        return 0;
      }
      let reached = 0;
      for (const identity of identities) if (await deliver(identity, notice)) reached++;
      return reached;
    },
  };
}
