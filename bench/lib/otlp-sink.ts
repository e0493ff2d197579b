/**
 * Where the traced API under the bench exports its spans: an OTLP/HTTP collector stand-in
 * on loopback that reads each export, answers 200 with an empty protobuf response (a
 * collector's "all accepted") and counts what it received. Runs in the bench's own process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class OtlpSink {
  private server: Server | undefined;
  /** Export requests and their bytes, for the summary (sampling really sent spans). */
  exports = 0;
  bytes = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let size = 0;
      request.on('data', (chunk: Buffer) => (size += chunk.length));
      request.on('end', () => {
        if (request.url === '/v1/traces') {
          this.exports += 1;
          this.bytes += size;
        }
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
