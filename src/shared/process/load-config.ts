import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../config.js';

/**
 * Entry points' configuration: `.env` in the working directory is read when present
 * (values already in the environment win), then the whole schema is validated. A bad
 * value stops the process with one line naming it.
 */
export function loadConfigOrExit(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
