// What to suggest while a user types an argument (Discord autocomplete): their selectable groups, the models of their
// group, their keys; channels only for admins. Nothing for an unlinked user.
import type { BotBackend } from './backend.js';
import type { Asker } from './core.js';
import type { Suggestions } from './router.js';

export interface Suggestion {
  /** What the user sees. */
  label: string;
  /** What goes into the command. */
  value: string;
}

/** Discord shows at most 25. */
export const MAX_SUGGESTIONS = 25;

export async function suggest(backend: BotBackend, asker: Asker, kind: Suggestions, typed: string): Promise<Suggestion[]> {
  const user = await backend.resolveLink(asker.platform, asker.userId);
  if (!user) return [];
  const all = await options(backend, user.id, kind);
  const needle = typed.trim().toLowerCase();
  return all.filter((s) => !needle || s.label.toLowerCase().includes(needle) || s.value.toLowerCase().includes(needle)).slice(0, MAX_SUGGESTIONS);
}

async function options(backend: BotBackend, userId: number, kind: Suggestions): Promise<Suggestion[]> {
  switch (kind) {
    case 'groups': {
      const { selectable } = await backend.listGroups(userId);
      return selectable.map((g) => ({ label: `${g.name} (×${g.ratio})`, value: g.name }));
    }
    case 'models':
      return (await backend.listModels(userId)).map((m) => ({ label: m, value: m }));
    case 'tokens':
      return (await backend.listTokens(userId)).map((t) => ({ label: `#${t.id} ${t.name} (${t.keyPrefix})`, value: String(t.id) }));
    case 'channels':
      if (!(await backend.isAdmin(userId))) return [];
      return (await backend.listChannels()).map((c) => ({ label: `#${c.id} ${c.name} (${c.status})`, value: String(c.id) }));
  }
}
