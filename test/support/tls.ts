import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  /** The CA that signed the server certificate. */
  caFile: string;
  /** Another CA, which signed nothing the server presents: verification must fail with it. */
  otherCaFile: string;
  certFile: string;
  keyFile: string;
}

/** `openssl req` arguments for a new EC key (P-256, made in milliseconds) written unencrypted to `file`. */
const newKey = (file: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  file,
];

async function newCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...newKey(key),
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

/**
 * A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated
 * second CA, written as PEM files into `dir`.
 */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const [ca, other] = await Promise.all([newCa(dir, 'test-ca'), newCa(dir, 'other-ca')]);
  const keyFile = path.join(dir, 'redis.key');
  const csr = path.join(dir, 'redis.csr');
  const certFile = path.join(dir, 'redis.crt');
  const extensions = path.join(dir, 'redis.ext');
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['req', ...newKey(keyFile), '-out', csr, '-subj', '/CN=localhost']);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '2',
    '-extfile',
    extensions,
  ]);
  return { caFile: ca.cert, otherCaFile: other.cert, certFile, keyFile };
}
