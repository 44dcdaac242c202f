// For upstreams that cannot fetch image URLs themselves (Gemini), the relay downloads them — with the SSRF-safe
// fetcher (public addresses only, checked at connect time and after every redirect), a size and a time limit — checks
// the real type from the bytes, and inlines them as data: URIs.
import type { ChatRequest, ContentPart, ImagePart } from '../providers/types.js';
import { safeFetch, type AddressPolicy } from '../net/safe-fetch.js';
import { inspectImage, toDataUri } from '../media/image.js';

export const IMAGE_MAX_BYTES = 20 * 1024 * 1024;
export const IMAGE_TIMEOUT_MS = 15_000;

const isRemoteImage = (p: ContentPart): p is ImagePart =>
  p.type === 'image_url' && /^https?:/i.test((p as ImagePart).image_url?.url ?? '');

export async function inlineImages(req: ChatRequest, signal: AbortSignal, policy?: AddressPolicy): Promise<ChatRequest> {
  if (!req.messages.some((m) => Array.isArray(m.content) && m.content.some(isRemoteImage))) return req;
  const messages = await Promise.all(
    req.messages.map(async (m) => {
      if (!Array.isArray(m.content) || !m.content.some(isRemoteImage)) return m;
      const content = await Promise.all(
        m.content.map(async (part) => {
          if (!isRemoteImage(part)) return part;
          signal.throwIfAborted();
          const { bytes } = await safeFetch(part.image_url.url, { maxBytes: IMAGE_MAX_BYTES, timeoutMs: IMAGE_TIMEOUT_MS, ...(policy ? { policy } : {}) });
          const info = await inspectImage(bytes);
          return { ...part, image_url: { ...part.image_url, url: toDataUri(info.mime, bytes) } } satisfies ImagePart;
        }),
      );
      return { ...m, content };
    }),
  );
  return { ...req, messages };
}
