/** `npm run token -- <sub> [ttl-seconds]`: prints a development JWT for that subject. */
import { randomUUID } from 'node:crypto';
import { developmentToken } from './development-token.js';

const sub = process.argv[2] ?? randomUUID();
const ttl = Number(process.argv[3] ?? 3600);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('usage: npm run token -- <sub> [ttl-seconds]');
  process.exit(2);
}
if (!process.argv[2]) console.error(`(no sub given; using a new one: ${sub})`);
console.log(await developmentToken(sub, { expiresInSeconds: ttl }));
