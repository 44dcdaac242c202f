// koishi logs through reggol's global targets, which print to the console by default. While the QQ bots run, their
// records go to the relay's logger instead (info and above; koishi's debug output carries raw payloads).
import type { BotLogger } from '../core/index.js';
import { koishi } from './koishi.js';

type Target = (typeof koishi.Logger.targets)[number];

/** Routes koishi's log records to `log`; returns the function that restores the previous targets. */
export function routeKoishiLogs(log: BotLogger): () => void {
  const previous = koishi.Logger.targets.splice(0);
  const target: Target = {
    colors: 0,
    levels: { base: 2 },
    record(record) {
      const where = { koishi: record.name };
      if (record.type === 'error') log.error(where, record.content);
      else if (record.type === 'warn') log.warn(where, record.content);
      else log.info(where, record.content);
    },
  };
  koishi.Logger.targets.push(target);
  return () => {
    const at = koishi.Logger.targets.indexOf(target);
    if (at >= 0) koishi.Logger.targets.splice(at, 1);
    if (koishi.Logger.targets.length === 0) koishi.Logger.targets.push(...previous);
  };
}
