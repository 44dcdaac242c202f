// Request ids are UUIDv7 (RFC 9562): a millisecond timestamp in front of random bits. Time-ordered ids land at the end
// of the usage log's unique index instead of at a random page, which keeps the per-call insert cheap as the log grows,
// and they sort by time in logs. Built from node's pooled randomUUID (≈0.1 µs): the `uuid` package's v7 draws fresh
// random bytes through WebCrypto on each call (≈5 µs here), too slow for the hot path.
import { randomUUID } from 'node:crypto';

export function newRequestId(now = Date.now()): string {
  const hex = now.toString(16).padStart(12, '0');
  // randomUUID gives xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx: keep its variant and random bits, swap in the time
  // (first 48 bits) and the version nibble 7.
  const random = randomUUID();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${random.slice(15)}`;
}
