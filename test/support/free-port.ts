import net, { type AddressInfo } from 'node:net';

/**
 * A TCP port free on loopback right now, for child processes that must be told their
 * port (PORT, WORKER_PORT). Asking the kernel (port 0) avoids the collisions fixed
 * port ranges have when two test runs share a machine.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
