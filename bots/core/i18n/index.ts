// The bots' languages. Which one a user gets: their /lang choice (stored per chat identity), else what their app says
// (Telegram language_code, Discord interaction locale), else the platform's default (QQ and OneBot: Chinese).
import { en, type CommandWords, type Messages } from './en.js';
import { zh } from './zh.js';
import type { Platform } from '../types.js';

export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];
export type { Messages, CommandWords };

const CATALOGUES: Record<Lang, Messages> = { en, zh };

export function messages(lang: Lang): Messages {
  return CATALOGUES[lang];
}

export const isLang = (value: unknown): value is Lang => value === 'en' || value === 'zh';

/** "zh", "zh-hans", "zh-CN", "zh_TW" → zh; "en-US", "de" → en; nothing → undefined. */
export function langOf(locale: string | undefined): Lang | undefined {
  if (!locale) return undefined;
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** QQ users write Chinese; everyone else gets English unless their app says otherwise. */
export function platformDefault(platform: Platform): Lang {
  return platform === 'qq' || platform === 'onebot' ? 'zh' : 'en';
}

/** The language to answer in: the stored choice, the app's locale, the platform's default, in that order. */
export function chooseLang(stored: Lang | null, locale: string | undefined, platform: Platform): Lang {
  return stored ?? langOf(locale) ?? platformDefault(platform);
}

/** A command's words in one language (its description, usage, and labels of its arguments and choices). */
export function commandWords(lang: Lang, name: keyof Messages['commands']): CommandWords {
  return messages(lang).commands[name];
}
