import { loadConfig, type Config } from '../../src/shared/config.js';
import { REDIS_URL } from './redis.js';

export const TEST_INTERNAL_KEYS = ['internal-key-current', 'internal-key-previous'] as const;
export const TEST_HUBSPOT_SECRET = 'hubspot-client-secret';

/** The configuration tests run with: the same schema as production, test values. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    REDIS_URL,
    INTERNAL_API_KEYS: TEST_INTERNAL_KEYS.join(','),
    HUBSPOT_CLIENT_SECRET: TEST_HUBSPOT_SECRET,
    ...overrides,
  });
}
