// Messages the bots send on their own: alerts to admins (a channel was auto-disabled) and a user's low-balance
// warning. The relay does not know which bots run; each running adapter registers its transport here, and a notice
// goes to every linked identity whose platform has a running transport that can message users.
import type { BotBackend, PlatformIdentity } from './backend.js';
import { formatUnits } from './commands.js';
import type { BotLogger } from './errors.js';
import type { ChatTransport, Platform, Reply } from './types.js';

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

  /** Sends to one identity; false when its platform is not running or cannot message users. Never throws. */
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

export interface ChannelDisabledNotice {
  channelId: number;
  channelName: string;
  reason: string;
}

export interface Notifier {
  /** Call when the relay auto-disables a channel. Resolves to the number of admins reached; never throws. */
  channelAutoDisabled(notice: ChannelDisabledNotice): Promise<number>;
}

export function createNotifier(backend: BotBackend, registry: TransportRegistry, log: BotLogger): Notifier {
  return {
    async channelAutoDisabled(notice) {
      let identities: PlatformIdentity[];
      try {
        identities = await backend.adminIdentities();
      } catch (err) {
        log.error({ err }, 'could not list admins to notify');
        return 0;
      }
      const reply: Reply = {
        text:
          `⚠️ Channel #${notice.channelId} "${notice.channelName}" was disabled automatically.\n` +
          `Reason: ${notice.reason}\n` +
          `Re-enable it with /channel enable ${notice.channelId} once it is fixed.`,
      };
      let reached = 0;
      for (const identity of identities) {
        if (await registry.sendToUser(identity, reply, log)) reached++;
      }
      return reached;
    },
  };
}

/**
 * The low-balance warning, sent once when a charge takes the balance from at or above the user's threshold to below
 * it (not after every later chat). Returns the text to send, or null.
 */
export function lowBalanceWarning(threshold: number | null, before: number, after: number): string | null {
  if (threshold === null || threshold <= 0) return null;
  if (!(before >= threshold && after < threshold)) return null;
  return (
    `⚠️ Your balance is low: ${formatUnits(after)} left (your warning threshold is ${formatUnits(threshold)}). ` +
    'Top up with /recharge. Turn this off with /notify off.'
  );
}
