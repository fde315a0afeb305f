import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import S3rver from 's3rver';
import { freePort } from './free-port';

export interface RunningS3 {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  stop(): Promise<void>;
}

/** s3rver's built-in account: it checks request signatures against these. */
const S3RVER_KEY = 'S3RVER';

/**
 * An S3-compatible server (s3rver, from npm) in this process, with its objects under `dataDir`: the
 * farm talks to it through the same `minio` client it uses for MinIO.
 */
export async function startS3Server(options: { dataDir: string; port?: number; bucket: string }): Promise<RunningS3> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new S3rver({ address: '127.0.0.1', port, directory: options.dataDir, silent: true, configureBuckets: [{ name: options.bucket }] });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    stop: async () => {
      // Keep-alive connections would hold close() open.
      (server as unknown as { httpServer?: Server }).httpServer?.closeAllConnections();
      await server.close();
    },
  };
}
