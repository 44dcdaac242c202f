// SseReader: upstream bytes → events, whatever the chunk boundaries (a multi-byte character or an event split
// across chunks), and encodeSse back.
import { describe, it, expect } from 'vitest';
import { SseReader, encodeSse } from '../../src/relay/sse.js';

describe('SseReader', () => {
  const text = 'event: delta\ndata: {"t":"你好, 世界 👋"}\n\ndata: [DONE]\n\n';
  const bytes = Buffer.from(text);

  it('gives the same events for every way of cutting the bytes, characters split across chunks included', () => {
    const whole = new SseReader().push(bytes);
    expect(whole).toEqual([{ event: 'delta', data: '{"t":"你好, 世界 👋"}' }, { data: '[DONE]' }]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new SseReader();
      const events = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut)), ...reader.end()];
      expect(events, `cut at byte ${cut}`).toEqual(whole);
    }
    const reader = new SseReader(); // one byte at a time
    const events = [...bytes].flatMap((b) => reader.push(Uint8Array.of(b)));
    expect([...events, ...reader.end()]).toEqual(whole);
  });

  it('ends a last event that came without its blank line, and a character cut off at the end as U+FFFD', () => {
    const reader = new SseReader();
    expect(reader.push(Buffer.from('data: a'))).toEqual([]);
    expect(reader.end()).toEqual([{ data: 'a' }]);
    const cut = new SseReader();
    const euro = Buffer.from('data: €');
    expect(cut.push(euro.subarray(0, euro.length - 1))).toEqual([]);
    expect(cut.end()).toEqual([{ data: '\ufffd' }]);
  });

  it('encodes events back, one data line per line of data', () => {
    expect(encodeSse({ event: 'x', data: 'a\nb' })).toBe('event: x\ndata: a\ndata: b\n\n');
    expect(encodeSse({ data: 'a' }, '\r\n')).toBe('data: a\r\n\r\n');
  });
});
