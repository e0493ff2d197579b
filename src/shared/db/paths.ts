import path from 'node:path';
import { fileURLToPath } from 'node:url';

// src/shared/db and dist/shared/db are both three levels below the project root.
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
