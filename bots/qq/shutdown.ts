// Stopping koishi's adapters without a race. A WebSocket that is still open when its bot's context is disposed can
// deliver one more gateway event, and the QQ adapter then throws from a socket listener: an unhandled rejection,
// which would take the whole relay down. So each bot is stopped first (its socket closes while the context is
// still alive to take late events), and only then are the adapters disposed and the app stopped.
import type { KoishiContext } from './koishi.js';

const CLOSE_TIMEOUT_MS = 2_000;

interface ClosableSocket {
  readyState: number;
  addEventListener(type: 'close', listener: () => void): void;
}

export async function stopKoishi(app: KoishiContext, adapters: Array<{ dispose(): unknown }>): Promise<void> {
  const bots = app.bots.filter((bot) => !bot.hidden);
  await Promise.all(
    bots.map(async (bot) => {
      const socket = socketOf(bot.adapter);
      await bot.stop();
      if (socket) await closed(socket);
    }),
  );
  for (const adapter of adapters.splice(0)) adapter.dispose();
  await app.stop();
}

function socketOf(adapter: unknown): ClosableSocket | undefined {
  if (typeof adapter !== 'object' || adapter === null || !('socket' in adapter)) return undefined;
  const socket: unknown = adapter.socket;
  if (typeof socket !== 'object' || socket === null || !('readyState' in socket) || !('addEventListener' in socket)) return undefined;
  return socket as ClosableSocket;
}

function closed(socket: ClosableSocket): Promise<void> {
  const CLOSED = 3;
  if (socket.readyState === CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    socket.addEventListener('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
