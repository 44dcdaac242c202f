// The shared command suite (core-suite.ts) over the real relay backend on PostgreSQL, with the expectations it has over
// the memory double (core.test.ts). One file per database, so the two run side by side.
import { runCoreSuite } from './core-suite.js';
import { createFakeTransport } from './fake-transport.js';
import { relayWorlds } from './relay-world.js';

runCoreSuite(() => createFakeTransport({ platform: 'telegram', maxMessageLength: 4096, canEdit: true, minEditIntervalMs: 15, botUsername: 'relay_bot' }), relayWorlds('postgresql'));
