// GET / DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel, GET /v1/responses/{id}/input_items: a stored
// response lives with the upstream account that made it, so these go to the channel and key that served it (as
// remembered by response-affinity.ts), and only for the user whose call it was. They cost nothing and are not billed.
// Translated answers are stored nowhere: their ids are not found.
import { RelayError } from '../errors.js';
import { scrubSecrets } from '../auth/redact.js';
import { adapterFor } from '../providers/registry.js';
import type { RelayService } from './service.js';
import type { Payer } from './call.js';
import { readText } from './forward.js';

/** Stored responses with their whole output can be large; this bounds what one answer may hold in memory. */
const MAX_STORED_RESPONSE_BYTES = 32 * 1024 * 1024;
const STORED_RESPONSE_TIMEOUT_MS = 60_000;
/** OpenAI's ids: resp_ + letters and digits. Anything else cannot name one (and must not reach an upstream URL). */
const RESPONSE_ID = /^[A-Za-z0-9_-]{1,256}$/;

export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

export async function forwardStoredResponse(
  relay: RelayService,
  payer: Payer,
  method: 'GET' | 'POST' | 'DELETE',
  id: string,
  suffix: '' | '/cancel' | '/input_items',
  query: string,
): Promise<StoredAnswer> {
  if (!RESPONSE_ID.test(id)) throw new RelayError('invalid_request', 'the response id must be 1-256 letters, digits, "_" or "-"', 400, { param: 'response_id' });
  const route = await relay.affinity.lookup(id, payer.userId);
  if (!route) {
    throw new RelayError(
      'not_found',
      `no stored response ${id} of yours: only responses served by an OpenAI or Azure channel with store enabled are kept (translated answers are not)`,
    );
  }
  await relay.channels.ensureLoaded();
  const channel = relay.channels.channels.find((c) => c.id === route.channelId);
  const key = route.keyId === null ? (channel?.keys.length === 0 ? '' : undefined) : channel?.keys.find((k) => k.id === route.keyId)?.secret;
  const api = channel && adapterFor(channel.type)?.responses;
  if (!channel || !api || key === undefined || key === null) {
    throw new RelayError('no_channel', `the channel that stored response ${id} is gone, or its key is; the response cannot be reached`);
  }
  const target = { baseUrl: channel.baseUrl, key, model: '', config: channel.config };
  const req = api.buildResourceRequest(target, method, `/${id}${suffix}${query}`);
  let status: number;
  let text: string;
  let contentType: string;
  try {
    const res = await relay.forwarder.send(req, channel.config, AbortSignal.timeout(STORED_RESPONSE_TIMEOUT_MS));
    status = res.status;
    contentType = String(res.headers['content-type'] ?? 'application/json');
    text = await readText(res, MAX_STORED_RESPONSE_BYTES);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RelayError('upstream_error', `the upstream that stored response ${id} could not be reached: ${scrubSecrets(why, relay.channels.secrets())}`, 502);
  }
  if (status >= 300) throw storedFailure(relay, channel.type, status, text, id, payer);
  if (method === 'DELETE') await relay.affinity.forget(id);
  return { status, contentType, body: text };
}

/** The upstream's refusal, keys scrubbed; its words only for admins unless the request itself was at fault. */
function storedFailure(relay: RelayService, type: string, status: number, text: string, id: string, payer: Payer): RelayError {
  if (status === 404) return new RelayError('not_found', `response ${id} is not stored upstream any more (deleted, or past its retention)`);
  const info = adapterFor(type)!.parseError(status, text);
  const words = scrubSecrets(info.message, relay.channels.secrets());
  const details = { upstream_status: status };
  if (info.kind === 'bad_request') return new RelayError('upstream_error', `upstream error (${type}): ${words}`, status >= 400 && status < 500 ? status : 400, details);
  const message = payer.admin ? `upstream error (${type}): ${words}` : 'the upstream service could not complete this request; try again later';
  return new RelayError('upstream_error', message, status === 429 ? 429 : 502, details);
}
