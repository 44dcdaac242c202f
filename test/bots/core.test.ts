// The bot core over the memory backend, on fake transports with each platform family's limits: Telegram-like
// (4096, edits), Discord-like (2000, edits) and QQ-like (no edits, no private notices). Plus the pure parts.
import { describe, expect, it } from 'vitest';
import { isAddressedTo, parseCommand, parseDuration, parseQuota, parseTokenSpec, formatUnits } from '../../bots/core/commands.js';
import { splitMessage } from '../../bots/core/chat-stream.js';
import { lowBalanceWarning } from '../../bots/core/notifications.js';
import { cleanTitle } from '../../bots/core/conversation.js';
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
    expect(parseTokenSpec(['ci', '0'])).toBe('The quota must be more than zero (leave it out for unlimited).');
  });

  it('formats units with dollars', () => {
    expect(formatUnits(1_250_000)).toBe('1,250,000 units ($2.50)');
    expect(formatUnits(50)).toBe('50 units ($0.0001)');
    expect(formatUnits(10)).toBe('10 units ($0.00002)');
    expect(formatUnits(1)).toBe('1 unit ($0.000002)');
    expect(formatUnits(0)).toBe('0 units ($0.00)');
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
    expect(lowBalanceWarning(1000, 1200, 900)).toMatch(/^⚠️ Your balance is low: 900 units/);
    expect(lowBalanceWarning(1000, 900, 800)).toBeNull();
    expect(lowBalanceWarning(null, 1200, 900)).toBeNull();
  });

  it('cleans model-written titles', () => {
    expect(cleanTitle('"Planning a trip."\nextra')).toBe('Planning a trip');
    expect(cleanTitle('  «Rust lifetimes»  ')).toBe('Rust lifetimes');
  });
});
