import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * True when `candidate` equals one of `secrets`, in time independent of where they
 * differ and of which secret matched: digests make lengths equal, and every secret
 * is compared (rotation keeps two or more live at once).
 */
export function matchesAnySecret(candidate: string, secrets: readonly string[]): boolean {
  const candidateDigest = digest(candidate);
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(candidateDigest, digest(secret))) matched = true;
  }
  return matched;
}
