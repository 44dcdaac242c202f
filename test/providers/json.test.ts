// withFields: `{ ...base, ...fields }` by a faster route, with the same result for every base, including JSON from an
// upstream that carries a "__proto__" key (Object.assign alone would make it the new object's prototype).
import { describe, it, expect } from 'vitest';
import { withFields } from '../../src/providers/json.js';
import { OpenAIChatStream } from '../../src/providers/openai/stream.js';

describe('withFields', () => {
  it('is the spread: base first, fields over it, in the base order', () => {
    const base = JSON.parse('{"model":"a","messages":[],"stream":true}') as Record<string, unknown>;
    const out = withFields(base, { model: 'b', max_tokens: 5 });
    expect(out).toEqual({ ...base, ...{ model: 'b', max_tokens: 5 } });
    expect(Object.keys(out)).toEqual(['model', 'messages', 'stream', 'max_tokens']);
    expect(base.model).toBe('a'); // a new object
  });

  it('keeps a "__proto__" key of parsed JSON a plain property, never the prototype', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true,"choices":[1]},"a":1}') as Record<string, unknown>;
    const out = withFields(hostile, { b: 2 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...hostile, b: 2 }));
  });

  it('an upstream stream chunk with "__proto__" is translated without taking it for a prototype', () => {
    const stream = new OpenAIChatStream({ id: 'chatcmpl-x', created: 1, model: 'm' });
    const [chunk] = stream.push({ data: '{"__proto__":{"polluted":true},"choices":[{"index":0,"delta":{"content":"hi"}}]}' });
    expect(Object.getPrototypeOf(chunk)).toBe(Object.prototype);
    expect((chunk as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(chunk!.model).toBe('m');
  });
});
