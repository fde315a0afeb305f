// The API process: `node dist/apps/api/src/main.js`, configured by environment (see README.md).
import { startApi } from './bootstrap';
import { apiSettingsFromEnv } from './settings';

startApi(apiSettingsFromEnv(), { logger: ['log', 'error', 'warn'], shutdownHooks: true })
  .then(({ url }) => console.log(`sdfarm API listening on ${url} (docs at ${url}/docs, dashboard at ${url}/queues)`))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
