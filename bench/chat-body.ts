// The chat request the benches send: a fixed system prompt, as real traffic has, and a question that differs on every
// request, so nothing the relay caches by content (token counts) can make a bench faster than real traffic would be.
const SYSTEM = 'You are a concise assistant for a travel agency. Answer in plain English.';
const USER =
  'I am flying from Lisbon to Tokyo in late October with a layover in Dubai. Which documents do I need for the layover, ' +
  'and is four hours enough time to change terminals there?';

let questions = 0;

export function chatBody(stream: boolean): string {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: `${USER} (Question ${++questions}.)` },
    ],
    max_tokens: 100,
    // Streams ask for usage on every target, so the upstream does the same work whoever calls it (the relay asks anyway).
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}
