// The process: read the config, start the service (src/main.ts), print the root key on the first start, and shut down
// gracefully on SIGTERM/SIGINT. The only file that starts a process.
import closeWithGrace from 'close-with-grace';
import { loadConfig, ConfigError, type Config } from './config.js';
import { MigrationError } from './db/migrate.js';
import { SecretKeyError } from './auth/master-key.js';
import { createLogger, startRelayStation } from './main.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config);

  let station;
  try {
    station = await startRelayStation(config, log);
  } catch (err) {
    log.fatal({ err }, err instanceof MigrationError || err instanceof SecretKeyError ? err.message : 'could not start');
    process.exit(1);
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await station.close();
  });

  const { boot, address } = station;
  if (boot.createdRootKey) {
    // Printed to stdout once, outside the structured log, so it does not end up in log aggregation by accident.
    process.stdout.write(
      `\n  relay-station is ready at ${address} (web console: ${address}/)\n` +
        `  Admin (root) management key — shown only this once, store it now:\n\n    ${boot.createdRootKey}\n\n` +
        (boot.createdRootPassword ? `  Root login: username "root", password "${boot.createdRootPassword}"\n\n` : ''),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
