import { Client } from 'minio';
import { withRetry, type RetryOptions } from './retry';
import type { StorageSettings } from './storage-settings';

/** The farm's bucket in MinIO or any S3-compatible server. Writes retry transient failures with backoff. */
export class ObjectStorage {
  private readonly client: Client;
  /** Signs URLs for the endpoint clients use; signing is local (the region is set), so it never calls out. */
  private readonly signer: Client;

  constructor(
    private readonly settings: StorageSettings,
    private readonly retry: RetryOptions = { attempts: 4, baseDelayMs: 250 },
  ) {
    this.client = new Client(clientOptions(settings.endpoint, settings));
    this.signer = new Client(clientOptions(settings.publicEndpoint, settings));
  }

  get bucket(): string {
    return this.settings.bucket;
  }

  async ensureBucket(): Promise<void> {
    await withRetry(async () => {
      if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket, this.settings.region);
    }, this.retry);
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await withRetry(() => this.client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType }), this.retry);
  }

  async get(key: string): Promise<Buffer> {
    return withRetry(async () => {
      const stream = await this.client.getObject(this.bucket, key);
      const parts: Buffer[] = [];
      for await (const part of stream) parts.push(part as Buffer);
      return Buffer.concat(parts);
    }, this.retry);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFound' || (error as { code?: string }).code === 'NoSuchKey') return false;
      throw error;
    }
  }

  /** Keys under a prefix (for checks that nothing else was written). */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys.sort();
  }

  async presignedUrl(key: string, expirySeconds = this.settings.urlExpirySeconds): Promise<string> {
    return this.signer.presignedGetObject(this.bucket, key, expirySeconds);
  }

  /** Reachability for `GET /health`: the bucket answers. */
  async ping(): Promise<void> {
    await this.client.bucketExists(this.bucket);
  }
}

function clientOptions(endpoint: string, settings: StorageSettings) {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`S3_ENDPOINT must be a URL such as http://localhost:9000 (got "${endpoint}")`);
  }
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
  };
}
