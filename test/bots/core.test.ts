// The bot core over the memory backend, on fake transports with each platform family's limits: Telegram-like
// (4096, edits), Discord-like (2000, edits) and QQ-like (no edits, no private notices). Plus the pure parts.
import { describe, expect, it } from 'vitest';
import { isAddressedTo, parseCommand, parseDuration, parseQuota, parseTokenSpec } from '../../bots/core/commands.js';
import { splitMessage } from '../../bots/core/chat-stream.js';
import { choiceNumber, decodePress, fitButtons, ownButton } from '../../bots/core/buttons.js';
import { cleanTitle, crossedThreshold } from '../../bots/core/conversation.js';
import { en } from '../../bots/core/i18n/en.js';
import { zh } from '../../bots/core/i18n/zh.js';
import { chooseLang, langOf } from '../../bots/core/i18n/index.js';
import type { SpecProblem } from '../../bots/core/commands.js';
import { createFakeTransport } from './fake-transport.js';
import { runCoreSuite } from './core-suite.js';

runCoreSuite(() => createFakeTransport({ platform: 'telegram', maxMessageLength: 4096, canEdit: true, minEditIntervalMs: 15, botUsername: 'relay_bot' }));
runCoreSuite(() => createFakeTransport({ platform: 'discord', maxMessageLength: 2000, canEdit: true, minEditIntervalMs: 5 }));
runCoreSuite(() => createFakeTransport({ platform: 'qq', maxMessageLength: 2000, canEdit: false, minEditIntervalMs: 0, canMessageUsers: false }));

describe('command parsing', () => {
  it('parses /cmd, /cmd@bot and keeps the raw rest', () => {
    expect(parseCommand('/Token new ci  5000')).toEqual({ name: 'token', mention: undefined, args: ['new', 'ci', '5000'], rest: 'new ci  5000' });
    expect(parseCommand('/chat@relay_bot line one\nline two')).toEqual({
      name: 'chat',
      mention: 'relay_bot',
      args: ['line', 'one', 'line', 'two'],
      rest: 'line one\nline two',
    });
    expect(parseCommand('hello /balance')).toBeNull();
    expect(parseCommand('/')).toBeNull();
  });

  it('knows whom a command is addressed to', () => {
    const cmd = parseCommand('/balance@Relay_Bot')!;
    expect(isAddressedTo(cmd, 'relay_bot')).toBe(true);
    expect(isAddressedTo(cmd, 'other_bot')).toBe(false);
    expect(isAddressedTo(cmd, undefined)).toBe(true);
  });

  it('reads amounts, durations and token specs', () => {
    expect(parseQuota('2500000')).toBe(2_500_000);
    expect(parseQuota('$5')).toBe(2_500_000);
    expect(parseQuota('0.5usd')).toBe(250_000);
    expect(parseQuota('5k')).toBeNull();
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('0d')).toBeNull();
    expect(parseTokenSpec(['ci', 'gpt-4o', '7d', '100'])).toEqual({ name: 'ci', quota: 100, expiresInMs: 7 * 86_400_000, models: ['gpt-4o'] });
    expect((parseTokenSpec(['ci', '0']) as SpecProblem)(en.tokens)).toBe('The quota must be more than zero (leave it out for unlimited).');
    expect((parseTokenSpec(['ci', '0']) as SpecProblem)(zh.tokens)).toBe('额度必须大于零（不填即为不限额度）。');
  });

  it('formats units with dollars, in both languages', () => {
    expect(en.units(1_250_000)).toBe('1,250,000 units ($2.50)');
    expect(en.units(50)).toBe('50 units ($0.0001)');
    expect(en.units(10)).toBe('10 units ($0.00002)');
    expect(en.units(1)).toBe('1 unit ($0.000002)');
    expect(en.units(0)).toBe('0 units ($0.00)');
    expect(zh.units(1_250_000)).toBe('1,250,000 额度（$2.50）');
  });
});

describe('message splitting', () => {
  it('hard-splits text without breaks at the limit', () => {
    expect(splitMessage('x'.repeat(10_000), 4096).map((p) => p.length)).toEqual([4096, 4096, 1808]);
  });

  it('prefers a line break, then a space, in the last quarter', () => {
    const text = `${'a'.repeat(80)}\n${'b'.repeat(50)}`;
    expect(splitMessage(text, 100)).toEqual([`${'a'.repeat(80)}\n`, 'b'.repeat(50)]);
    expect(splitMessage(`${'a'.repeat(90)} ${'b'.repeat(20)}`, 100)).toEqual([`${'a'.repeat(90)} `, 'b'.repeat(20)]);
    expect(splitMessage(`${'a'.repeat(10)}\n${'b'.repeat(120)}`, 100)[0]).toHaveLength(100);
  });

  it('keeps parts stable as text grows and never cuts an emoji in half', () => {
    const full = `${'word '.repeat(300)}`;
    const early = splitMessage(full.slice(0, 1100), 1000)[0];
    expect(splitMessage(full, 1000)[0]).toBe(early);
    const emoji = `${'a'.repeat(99)}😀`;
    expect(splitMessage(emoji, 100)).toEqual(['a'.repeat(99), '😀']);
  });
});

describe('small rules', () => {
  it('warns about a low balance only when crossing the threshold', () => {
    expect(crossedThreshold(1000, 1200, 900)).toBe(true);
    expect(crossedThreshold(1000, 900, 800)).toBe(false);
    expect(crossedThreshold(null, 1200, 900)).toBe(false);
  });

  it('cleans model-written titles', () => {
    expect(cleanTitle('"Planning a trip."\nextra')).toBe('Planning a trip');
    expect(cleanTitle('  «Rust lifetimes»  ')).toBe('Rust lifetimes');
  });
});

describe('languages', () => {
  it('picks the stored choice, then the app locale, then the platform default', () => {
    expect(langOf('zh-hans')).toBe('zh');
    expect(langOf('zh_TW')).toBe('zh');
    expect(langOf('en-US')).toBe('en');
    expect(langOf(undefined)).toBeUndefined();
    expect(chooseLang(null, undefined, 'qq')).toBe('zh');
    expect(chooseLang(null, undefined, 'onebot')).toBe('zh');
    expect(chooseLang(null, undefined, 'telegram')).toBe('en');
    expect(chooseLang(null, 'zh-CN', 'discord')).toBe('zh');
    expect(chooseLang('en', 'zh-CN', 'qq')).toBe('en');
  });

  it('translates every sentence: no Chinese text is left in English', () => {
    // Strings that are the same in both on purpose (commands, model and language names, symbols).
    const same = new Set(['English', 'en | zh | auto', 'on | off | default']);
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'string') {
        if (!same.has(a) && a === b && /[a-z]{3}/i.test(a)) throw new Error(`${path} is not translated: "${a}"`);
        return;
      }
      if (typeof a === 'function') return; // sentences with values: the suites read them in both languages
      if (a && typeof a === 'object') for (const key of Object.keys(a)) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
    };
    walk(en, zh, 'messages');
    expect(Object.keys(zh.errors).sort()).toEqual(Object.keys(en.errors).sort());
  });
});

describe('buttons', () => {
  it('are tagged with their owner: another user pressing one is refused', () => {
    const button = ownButton({ label: 'Delete', data: '/token del 3 confirm' }, '1001');
    expect(decodePress(button.data, '1001')).toEqual({ ok: true, command: '/token del 3 confirm' });
    expect(decodePress(button.data, '1002')).toEqual({ ok: false });
    // Untagged data (from before tags) runs as the presser.
    expect(decodePress('/balance', '1002')).toEqual({ ok: true, command: '/balance' });
  });

  it('spell out a choice whose data does not fit the platform', () => {
    const long = { label: 'long', data: `/model ${'x'.repeat(80)}` };
    const short = { label: 'short', data: '/model a' };
    const { rows, spelledOut } = fitButtons([[short, long]], 64, (b) => ownButton(b, '1'));
    expect(rows.map((r) => r.map((b) => b.label))).toEqual([['short']]);
    expect(spelledOut).toEqual([long]);
  });

  it('read numbered answers, full-width digits too', () => {
    expect(choiceNumber('2')).toBe(2);
    expect(choiceNumber(' ２ ')).toBe(2);
    expect(choiceNumber('12')).toBe(12);
    expect(choiceNumber('0')).toBeNull();
    expect(choiceNumber('2 please')).toBeNull();
  });
});
