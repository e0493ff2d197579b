import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { HEAP_LIMIT_FLAG } from '../../src/shared/process/heap.js';

// The Dockerfiles and npm scripts cannot import the flag: they must name the same one.
const ROOT = path.resolve(import.meta.dirname ?? '.', '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the heap limit every process runs with', () => {
  it.each([
    ['Dockerfile.api', 'api'],
    ['Dockerfile.worker', 'worker'],
  ])('is in %s', (file, entry) => {
    expect(read(file)).toContain(`CMD ["node", "${HEAP_LIMIT_FLAG}", "dist/${entry}/main.js"]`);
  });

  it('is in the start:api and start:worker scripts', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts['start:api']).toBe(`node ${HEAP_LIMIT_FLAG} dist/api/main.js`);
    expect(scripts['start:worker']).toBe(`node ${HEAP_LIMIT_FLAG} dist/worker/main.js`);
  });
});
