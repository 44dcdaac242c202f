// Issue 11, the money half: over any mix of concurrent calls, what a user is charged equals what the upstream charged
// for their calls, except a small, bounded error in counting prompts; the balance never goes below zero; every
// write-off is logged. Each row of the table is reproduced here against an upstream that bills like a real one
// (test/fakes/metered-upstream.ts: its own token counts, long answers when nothing limits them, the limit it is sent
// honoured, streams billed for what they generated when their client leaves), on SQLite and PostgreSQL.
//
// Prices: ratio 1 and completion ratio 1 for every token-priced model, so 1 unit = 1 token on both sides.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, eventually, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startMeteredUpstream, PDF_PAGE_TOKENS, type Bill, type MeteredUpstream } from '../fakes/metered-upstream.js';
import { makePdf, makeWav } from '../fakes/media.js';

/** What the upstream billed, in units (ratio 1, completion ratio 1). */
const units = (bills: Bill[]) => bills.reduce((sum, b) => sum + b.prompt + b.completion, 0);
const sum = <T>(rows: T[], f: (row: T) => bigint | number) => rows.reduce((s, r) => s + Number(f(r)), 0);

/** A small seeded PRNG (mulberry32): the same workload on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The answer length a request asks the fake for: "len:N" in its text (default 6,000: longer than any default). */
function askedLength(body: Record<string, unknown>): number {
  const match = /len:(\d+)/.exec(JSON.stringify(body));
  return match ? Number(match[1]) : 6000;
}

describe.each(dbKinds)('what the upstream billed, the user pays, on %s', (kind) => {
  let t: TestApp;
  let up: MeteredUpstream;
  let base: string;

  beforeAll(async () => {
    up = await startMeteredUpstream({ answerTokens: askedLength, modelMax: (m) => (m === 'm-known' ? 8000 : undefined), wordsPerEvent: 100 });
    t = await createTestApp(kind);
    const models = ['m', 'm-known', 'o4-mini', 'claude-m', 'gemini-m'];
    await t.ctx.options.update({
      modelRatios: Object.fromEntries(models.map((m) => [m, 1])),
      completionRatios: Object.fromEntries(models.map((m) => [m, 1])),
      modelPrices: { 'm-per-call': 0.001 }, // 500 units a call
      maxOutputTokens: { 'm-known': 8000 },
    });
    await addChannel(t, { type: 'openai', baseUrl: up.url, models: ['m', 'm-known', 'o4-mini', 'm-per-call'] });
    await addChannel(t, { type: 'anthropic', baseUrl: up.url, models: ['claude-m'] });
    await addChannel(t, { type: 'gemini', baseUrl: up.url, models: ['gemini-m'] });
    base = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const post = (account: SeededAccount, path: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const chat = (account: SeededAccount, body: Record<string, unknown>, signal?: AbortSignal) =>
    post(account, '/v1/chat/completions', { messages: [{ role: 'user', content: 'Write me a long essay.' }], ...body }, signal);
  /** What the user paid and what was written off, against what the upstream billed for the same calls. */
  async function ledger(account: SeededAccount) {
    const b = await balances(t, account);
    return { ...b, charged: b.used, writeOff: sum(b.logs, (l) => l.writeOff) };
  }
  const billsFrom = (from: number) => up.bills.slice(from);

  describe("the issue's table", () => {
    it('20 calls without max_tokens, answers longer than the default allowance, on a balance of 12,000: paid as billed', async () => {
      const account = await seedAccount(t, { quota: 12_000 });
      const from = up.bills.length;
      const responses = await Promise.all(Array.from({ length: 20 }, () => chat(account, { model: 'm' })));
      const ok = responses.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(3);
      expect(responses.every((r) => r.status === 200 || r.status === 402)).toBe(true);
      for (const r of ok) expect(((await r.json()) as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason).toBe('length');
      const bills = billsFrom(from);
      expect(bills).toHaveLength(ok.length); // a refused call never reached the upstream
      // Every call went out with a limit its reservation paid for: the default allowance, or what the balance had left.
      for (const bill of bills) {
        expect(bill.limit).toBeDefined();
        expect(bill.limit).toBeLessThanOrEqual(4096);
        expect(bill.completion).toBe(bill.limit);
      }
      const l = await ledger(account);
      expect(l.quota).toBeGreaterThanOrEqual(0);
      expect(l.quota + l.charged).toBe(12_000);
      // Settled on the upstream's own usage: charged + written off is exactly what it billed; the write-off is only
      // the prompt-counting error (the upstream counts a few more overhead tokens than the relay).
      expect(l.charged + l.writeOff).toBe(units(bills));
      expect(l.writeOff / units(bills)).toBeLessThanOrEqual(0.02);
      expect(l.holds).toBe(0);
    });

    const pdf = makePdf({ pages: 30, bytes: 300 * 1024 }); // the upstream bills 30 × 2,500 = 75,000 tokens for it
    const pdfUri = `data:application/pdf;base64,${pdf.toString('base64')}`;
    const withPdf = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarize.' }, { type: 'file', file: { filename: 'a.pdf', file_data: pdfUri } }] }] };

    it('a 300 KB PDF as file_data with max_tokens 5 on a balance of 100: refused with 402, the upstream never sees it', async () => {
      const account = await seedAccount(t, { quota: 100 });
      const from = up.bills.length;
      const res = await post(account, '/v1/chat/completions', withPdf);
      expect(res.status).toBe(402);
      const { error } = (await res.json()) as { error: { code: string; needed: number; available: number } };
      expect(error).toMatchObject({ code: 'account_quota_exhausted', available: 100 });
      expect(error.needed).toBeGreaterThan(30 * PDF_PAGE_TOKENS); // the reservation's bound is above what it would be billed
      // The same document through /v1/messages (a PDF document block) and Gemini's inlineData.
      const doc = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') } };
      expect((await post(account, '/v1/messages', { model: 'claude-m', max_tokens: 5, messages: [{ role: 'user', content: [doc] }] })).status).toBe(402);
      const inline = { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'application/pdf', data: pdf.toString('base64') } }] }], generationConfig: { maxOutputTokens: 5 } };
      expect((await post(account, '/v1beta/models/gemini-m:generateContent', inline)).status).toBe(402);
      expect(billsFrom(from)).toHaveLength(0);
      expect(await ledger(account)).toMatchObject({ quota: 100, charged: 0, logs: [] });
    });

    it('the same PDF on a balance that covers its bound: reserved, and paid in full at what the upstream billed', async () => {
      const account = await seedAccount(t, { quota: 1_000_000 });
      const from = up.bills.length;
      expect((await post(account, '/v1/chat/completions', withPdf)).status).toBe(200);
      const [bill] = billsFrom(from);
      expect(bill!.prompt).toBeGreaterThan(30 * PDF_PAGE_TOKENS);
      const l = await ledger(account);
      expect(l).toMatchObject({ charged: units([bill!]), writeOff: 0 });
      expect(l.logs[0]).toMatchObject({ usageSource: 'upstream', completionTokens: 5 });
    });

    it('input_audio parts: counted like files (a WAV by its length, other audio by its bytes)', async () => {
      const account = await seedAccount(t, { quota: 100 });
      const wav = makeWav({ seconds: 30, sampleRate: 8000 }).toString('base64'); // 480 KB, 30 s
      const mp3 = Buffer.alloc(300 * 1024, 0xff).toString('base64');
      const from = up.bills.length;
      for (const [data, format] of [[wav, 'wav'], [mp3, 'mp3']]) {
        const res = await chat(account, { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data, format } }] }] });
        expect(res.status).toBe(402);
      }
      expect(billsFrom(from)).toHaveLength(0);
      // A rich account pays what the upstream billed for it.
      const rich = await seedAccount(t, { quota: 1_000_000 });
      expect((await chat(rich, { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: wav, format: 'wav' } }] }] })).status).toBe(200);
      expect((await ledger(rich)).charged).toBe(units(billsFrom(from)));
    });

    it('input fetched upstream (URL context, MCP servers) and output billed whatever the limit (a prediction) are reserved', async () => {
      const account = await seedAccount(t, { quota: 5000 });
      const from = up.bills.length;
      const urlContext = { contents: [{ parts: [{ text: 'Summarize https://example.com' }] }], tools: [{ urlContext: {} }] };
      expect((await post(account, '/v1beta/models/gemini-m:generateContent', urlContext)).status).toBe(402);
      const mcp = { model: 'claude-m', max_tokens: 100, messages: [{ role: 'user', content: 'Use the tools.' }], mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] };
      expect((await post(account, '/v1/messages', mcp)).status).toBe(402);
      const prediction = { model: 'm', max_tokens: 100, prediction: { type: 'content', content: ' the'.repeat(6000) } };
      expect((await chat(account, prediction)).status).toBe(402);
      expect(billsFrom(from)).toHaveLength(0);
    });

    it('an upstream that sends text but reports usage 0/0 is not believed: the local count is billed, and the row says so', async () => {
      const account = await seedAccount(t, { quota: 100_000 });
      const from = up.bills.length;
      up.options.zeroUsage = true;
      try {
        expect((await chat(account, { model: 'm', max_tokens: 400 })).status).toBe(200);
        const stream = await chat(account, { model: 'm', max_tokens: 400, stream: true });
        expect(stream.status).toBe(200);
        expect(await stream.text()).toContain('[DONE]');
        await post(account, '/v1/messages', { model: 'claude-m', max_tokens: 300, messages: [{ role: 'user', content: 'Go on.' }] });
        await post(account, '/v1beta/models/gemini-m:generateContent', { contents: [{ parts: [{ text: 'Go on.' }] }], generationConfig: { maxOutputTokens: 300 } });
      } finally {
        up.options.zeroUsage = false;
      }
      const bills = billsFrom(from);
      expect(bills).toHaveLength(4);
      const l = await ledger(account);
      expect(l.logs.map((row) => row.usageSource)).toEqual(['local', 'local', 'local', 'local']);
      expect(l.logs.map((row) => row.completionTokens)).toEqual([400, 400, 300, 300]);
      // Before: 0 charged for 1,400 tokens of text. Now the user pays the text exactly, the prompt as the relay counted it.
      const billed = units(bills);
      expect(l.charged).toBeGreaterThan(1400);
      expect(Math.abs(billed - l.charged) / billed).toBeLessThanOrEqual(0.02);
    });

    it('a non-stream call whose client hangs up after the upstream received it: read to its end and paid as billed', async () => {
      const account = await seedAccount(t, { quota: 100_000 });
      const prompt = 'lorem '.repeat(995); // about 1,004 prompt tokens upstream
      up.options.delayMs = 300;
      const from = up.bills.length;
      try {
        const controller = new AbortController();
        const call = chat(account, { model: 'm', max_tokens: 700, messages: [{ role: 'user', content: prompt }] }, controller.signal).catch((e: Error) => e);
        await up.received(from + 1);
        controller.abort();
        expect(await call).toBeInstanceOf(Error);
        await eventually(async () => expect((await ledger(account)).logs).toHaveLength(1));
      } finally {
        up.options.delayMs = 0;
      }
      const [bill] = billsFrom(from);
      expect(bill).toMatchObject({ finished: true, completion: 700 });
      expect(bill!.prompt).toBeGreaterThan(1000);
      const l = await ledger(account);
      expect(l).toMatchObject({ charged: units([bill!]), writeOff: 0, holds: 0 });
      expect(l.logs[0]).toMatchObject({ type: 'consume', status: 'error', usageSource: 'upstream', promptTokens: bill!.prompt, completionTokens: 700 });
      expect(l.logs[0]!.content).toMatch(/client closed the connection before the answer was sent; the upstream finished it, so it is billed/);
    });
  });

  describe('disconnects', () => {
    it('a stream whose client leaves before its first byte is finished upstream and paid as billed', async () => {
      const account = await seedAccount(t, { quota: 100_000 });
      up.options.delayMs = 300;
      const from = up.bills.length;
      try {
        const controller = new AbortController();
        const call = chat(account, { model: 'm', max_tokens: 900, stream: true }, controller.signal).catch((e: Error) => e);
        await up.received(from + 1);
        controller.abort();
        await call;
        await eventually(async () => expect((await ledger(account)).logs).toHaveLength(1));
      } finally {
        up.options.delayMs = 0;
      }
      const [bill] = billsFrom(from);
      expect(bill).toMatchObject({ finished: true, completion: 900 });
      expect(await ledger(account)).toMatchObject({ charged: units([bill!]), writeOff: 0 });
    });

    it('a stream the client cuts is stopped upstream and paid for what was generated (prompt + what streamed)', async () => {
      const account = await seedAccount(t, { quota: 100_000 });
      up.options.eventDelayMs = 20;
      const from = up.bills.length;
      try {
        const controller = new AbortController();
        const res = await chat(account, { model: 'm', max_tokens: 5000, stream: true }, controller.signal);
        const reader = res.body!.getReader();
        let text = '';
        while ((text.match(/"content"/g) ?? []).length < 3) text += new TextDecoder().decode((await reader.read()).value);
        controller.abort();
        await eventually(async () => expect((await ledger(account)).logs).toHaveLength(1));
        await eventually(() => expect(up.openStreams()).toBe(0)); // the upstream stopped generating
      } finally {
        up.options.eventDelayMs = 1;
      }
      const [bill] = billsFrom(from);
      expect(bill!.finished).toBe(false);
      expect(bill!.completion).toBeLessThan(5000);
      const l = await ledger(account);
      expect(l.logs[0]).toMatchObject({ type: 'consume', status: 'error', usageSource: 'local' });
      // What the client received is billed; the upstream may have generated an event more before it heard.
      expect(Math.abs(units([bill!]) - l.charged)).toBeLessThanOrEqual(100 + 5);
    });

    it('a per-request price is charged once the upstream has the request, even if the client left', async () => {
      const account = await seedAccount(t, { quota: 100_000 });
      up.options.delayMs = 300;
      const from = up.bills.length;
      try {
        const controller = new AbortController();
        const call = chat(account, { model: 'm-per-call', max_tokens: 20 }, controller.signal).catch((e: Error) => e);
        await up.received(from + 1);
        controller.abort();
        await call;
        await eventually(async () => expect((await ledger(account)).logs).toHaveLength(1));
      } finally {
        up.options.delayMs = 0;
      }
      expect(await ledger(account)).toMatchObject({ charged: 500 });
    });
  });

  describe('the output allowance, in every wire format', () => {
    it('a small balance still makes a small call: the output it can afford, told to the upstream, "length" to the client', async () => {
      const account = await seedAccount(t, { quota: 30 });
      const from = up.bills.length;
      const res = await chat(account, { model: 'm' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason).toBe('length');
      const [bill] = billsFrom(from);
      const sent = up.bills.length; // the limit went in max_tokens (what OpenAI-compatible providers read)
      expect(sent).toBe(from + 1);
      expect(bill!.limit).toBeGreaterThan(10);
      expect(bill!.limit).toBeLessThan(30);
      const l = await ledger(account);
      expect(l.quota).toBeGreaterThanOrEqual(0);
      expect(l.charged + l.writeOff).toBe(units([bill!]));
    });

    it('sends the limit in the field the model takes: max_completion_tokens for reasoning models, else the client’s own', async () => {
      const requests: Array<Record<string, unknown>> = [];
      const capture = up.options.answerTokens;
      up.options.answerTokens = (body, format) => {
        requests.push(body);
        return capture!(body, format);
      };
      try {
        // Each on a balance of 200: far below what it asks for.
        expect((await chat(await seedAccount(t, { quota: 200 }), { model: 'o4-mini' })).status).toBe(200);
        expect((await chat(await seedAccount(t, { quota: 200 }), { model: 'm', max_completion_tokens: 100_000 })).status).toBe(200);
        expect((await chat(await seedAccount(t, { quota: 200 }), { model: 'm', max_tokens: 100_000 })).status).toBe(200);
      } finally {
        up.options.answerTokens = capture;
      }
      expect(requests[0]).toHaveProperty('max_completion_tokens');
      expect(requests[0]).not.toHaveProperty('max_tokens');
      expect(requests[1]!.max_completion_tokens).toBeLessThan(200);
      expect(requests[1]).not.toHaveProperty('max_tokens');
      expect(requests[2]!.max_tokens).toBeLessThan(200);
      expect(requests[2]).not.toHaveProperty('max_completion_tokens');
    });

    it('Anthropic and Gemini clients, native and translated, get the limit in their own fields', async () => {
      // Each on a balance of 100.
      const accounts = await Promise.all(Array.from({ length: 4 }, () => seedAccount(t, { quota: 100 })));
      const from = up.bills.length;
      const anthropic = await post(accounts[0]!, '/v1/messages', { model: 'claude-m', max_tokens: 4000, messages: [{ role: 'user', content: 'Go.' }] });
      expect(((await anthropic.json()) as { stop_reason: string }).stop_reason).toBe('max_tokens');
      const gemini = await post(accounts[1]!, '/v1beta/models/gemini-m:generateContent', { contents: [{ parts: [{ text: 'Go.' }] }] });
      expect(((await gemini.json()) as { candidates: Array<{ finishReason: string }> }).candidates[0]!.finishReason).toBe('MAX_TOKENS');
      const toClaude = await chat(accounts[2]!, { model: 'claude-m' });
      expect(((await toClaude.json()) as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason).toBe('length');
      const toGemini = await chat(accounts[3]!, { model: 'gemini-m', stream: true });
      expect(await toGemini.text()).toContain('"finish_reason":"length"');
      const bills = billsFrom(from);
      expect(bills.map((b) => b.format)).toEqual(['anthropic', 'gemini', 'anthropic', 'gemini']);
      for (const [i, bill] of bills.entries()) {
        expect(bill.limit).toBeLessThan(100);
        const l = await ledger(accounts[i]!);
        expect(l.quota).toBeGreaterThanOrEqual(0);
        expect(l.charged + l.writeOff).toBe(units([bill]));
      }
    });

    it('n = 2 choices share the allowance', async () => {
      const account = await seedAccount(t, { quota: 100 });
      const from = up.bills.length;
      expect((await chat(account, { model: 'm', n: 2 })).status).toBe(200);
      const [bill] = billsFrom(from);
      expect(bill!.choices).toBe(2);
      expect(bill!.completion).toBe(2 * bill!.limit!);
      expect((await ledger(account)).quota).toBeGreaterThanOrEqual(0);
    });

    it('a rich account asking no limit of a model with a known maximum is not limited, and its hold covers the maximum', async () => {
      const account = await seedAccount(t, { quota: 1_000_000 });
      const from = up.bills.length;
      const res = await chat(account, { model: 'm-known', messages: [{ role: 'user', content: 'len:7000' }] });
      expect(res.status).toBe(200);
      const [bill] = billsFrom(from);
      expect(bill!.limit).toBeUndefined(); // nothing added to the request
      expect(bill!.completion).toBe(7000); // longer than the 4,096 default: not throttled
      expect(await ledger(account)).toMatchObject({ charged: units([bill!]), writeOff: 0 });
    });
  });

  it('many concurrent calls of every kind to the end of a balance: charged within 2% of what the upstream billed, never below zero, every write-off logged', async () => {
    const BALANCE = 150_000;
    const account = await seedAccount(t, { quota: BALANCE });
    const from = up.bills.length;
    const random = seeded(kind === 'sqlite' ? 11 : 12);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const statuses: number[] = [];
    let cut = 0;

    async function one(): Promise<void> {
      const length = 300 + Math.floor(random() * 6700);
      const limitChoice = random();
      const limit = limitChoice < 0.4 ? undefined : limitChoice < 0.8 ? 200 + Math.floor(random() * 1800) : 50_000;
      const stream = random() < 0.5;
      const disconnect = stream && random() < 0.15;
      const text = `len:${length} Tell me about money.`;
      const route = pick(['openai-m', 'openai-known', 'anthropic', 'gemini', 'to-claude', 'to-gemini', 'openai-n2']);
      let res: Response;
      const controller = new AbortController();
      switch (route) {
        case 'anthropic':
          res = await post(account, '/v1/messages', { model: 'claude-m', max_tokens: limit ?? 8000, stream, messages: [{ role: 'user', content: text }] }, controller.signal);
          break;
        case 'gemini':
          res = await post(
            account,
            `/v1beta/models/gemini-m:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
            { contents: [{ parts: [{ text }] }], ...(limit ? { generationConfig: { maxOutputTokens: limit } } : {}) },
            controller.signal,
          );
          break;
        default: {
          const model = { 'openai-m': 'm', 'openai-known': 'm-known', 'to-claude': 'claude-m', 'to-gemini': 'gemini-m', 'openai-n2': 'm' }[route]!;
          const body: Record<string, unknown> = { model, stream, messages: [{ role: 'user', content: text }] };
          if (limit) body.max_tokens = limit;
          if (route === 'openai-n2') body.n = 2;
          res = await post(account, '/v1/chat/completions', body, controller.signal);
        }
      }
      statuses.push(res.status);
      if (disconnect && res.status === 200) {
        cut++;
        const reader = res.body!.getReader();
        await reader.read();
        controller.abort();
        return;
      }
      await res.text();
    }

    // 16 clients at once, rounds of 40 calls, until the balance is spent (the last calls get what is left, then 402).
    const settledAll = () =>
      eventually(async () => {
        const l = await ledger(account);
        expect(l.holds).toBe(0);
        expect(l.logs.length).toBe(statuses.filter((s) => s === 200).length);
      }, 20_000);
    for (let round = 0; round < 10 && (await ledger(account)).quota >= 100; round++) {
      const queue = Array.from({ length: 40 }, (_, i) => i);
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (queue.shift() !== undefined) await one();
      }));
      await settledAll();
    }
    await eventually(() => expect(up.openStreams()).toBe(0));

    const bills = billsFrom(from);
    const l = await ledger(account);
    const billed = units(bills);
    const difference = billed - l.charged;
    if (process.env.MONEY_REPORT) {
      console.info(JSON.stringify({ kind, calls: statuses.length, ok: statuses.filter((s) => s === 200).length, refused: statuses.filter((s) => s === 402).length, cut, upstreamBilled: billed, userCharged: l.charged, writtenOff: l.writeOff, difference, ratio: difference / billed, left: l.quota, writeOffRows: l.logs.filter((r) => r.writeOff > 0n).length }));
    }
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0); // it did reach the end of the balance
    expect(l.quota).toBeGreaterThanOrEqual(0);
    expect(l.quota).toBeLessThan(100); // spent to the end
    expect(l.quota + l.charged).toBe(BALANCE);
    expect(l.logged).toBe(l.charged);
    expect(Math.abs(difference) / billed).toBeLessThanOrEqual(0.02);
    // Every unit the balance could not cover is a write-off in its own column, summed by /api/stats.
    const stats = await t.app.inject({ url: `/api/stats?userId=${account.userId}&by=model`, headers: t.admin });
    expect(stats.json().total).toMatchObject({ quota: l.charged, writeOff: l.writeOff });
    for (const row of l.logs.filter((r) => r.writeOff > 0n)) expect(row.content).toMatch(/units could not be charged/);
  }, 60_000);
});
