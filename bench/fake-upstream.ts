// Bench child: the fake OpenAI upstream (the same server the tests use), alone in its process so its CPU is not charged
// to whatever is being measured. Port from FAKE_UPSTREAM_PORT (0 = any); prints {"type":"ready","url":…}.
import { startFakeOpenAI } from '../test/fakes/openai-upstream.js';
import { listenForCommands, report } from './child.js';

const upstream = await startFakeOpenAI({ keys: ['sk-upstream'], record: false, port: Number(process.env.FAKE_UPSTREAM_PORT ?? 0) });
report({ type: 'ready', url: upstream.url });

listenForCommands(
  () => {}, // only the common "cpu" command
  () => void upstream.close().then(() => process.exit(0)),
);
