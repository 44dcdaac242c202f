// The prohibited-word filter: one case-insensitive regular expression compiled from the admin's list, rebuilt when
// options change. A request that contains a word is refused with a clear error (never an empty completion); with
// checkCompletions on, a completion that produces one is cut off with an error.
import type { OptionsStore } from '../services/options.js';
import type { ChatMessage } from '../providers/types.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class ContentFilter {
  #pattern: RegExp | null = null;
  #longest = 0;
  #checkCompletions = false;

  constructor(options: OptionsStore) {
    const build = () => {
      const words = [...new Set(options.current.prohibitedWords.map((w) => w.trim()).filter(Boolean))];
      this.#pattern = words.length ? new RegExp(words.map(escape).join('|'), 'iu') : null;
      this.#longest = Math.max(0, ...words.map((w) => w.length));
      this.#checkCompletions = options.current.checkCompletions;
    };
    build();
    options.onChange(build);
  }

  get active(): boolean {
    return this.#pattern !== null;
  }

  get checksCompletions(): boolean {
    return this.#pattern !== null && this.#checkCompletions;
  }

  /** The first prohibited word found in the text, or null. */
  find(text: string): string | null {
    return this.#pattern?.exec(text)?.[0] ?? null;
  }

  findInMessages(messages: ChatMessage[]): string | null {
    if (!this.#pattern) return null;
    for (const m of messages) {
      const found = typeof m.content === 'string' ? this.find(m.content) : Array.isArray(m.content) ? this.#inParts(m.content) : null;
      if (found) return found;
    }
    return null;
  }

  #inParts(parts: NonNullable<ChatMessage['content']> & unknown[]): string | null {
    for (const p of parts) {
      const text = (p as { text?: unknown }).text;
      if (typeof text === 'string') {
        const found = this.find(text);
        if (found) return found;
      }
    }
    return null;
  }

  /**
   * Watches a streamed completion: only the tail that could still contain the start of a word is kept between deltas,
   * so checking stays linear in the output size.
   */
  watcher(): (delta: string) => string | null {
    let tail = '';
    return (delta) => {
      const window = tail + delta;
      const found = this.find(window);
      tail = window.slice(-Math.max(0, this.#longest - 1));
      return found;
    };
  }
}
