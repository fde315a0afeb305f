export interface StorageSettings {
  /** The S3 endpoint the farm talks to, e.g. `http://minio:9000`. */
  readonly endpoint: string;
  /** The endpoint presigned URLs point at, when clients reach storage by another name (default: `endpoint`). */
  readonly publicEndpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  /** Lifetime of presigned image URLs. */
  readonly urlExpirySeconds: number;
}

/** `S3_ENDPOINT`, `S3_PUBLIC_ENDPOINT`, `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_BUCKET`, `S3_REGION`, `S3_URL_EXPIRY_SECONDS`. */
export function storageSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): StorageSettings {
  const endpoint = required(env, 'S3_ENDPOINT');
  const expiry = Number(env.S3_URL_EXPIRY_SECONDS ?? 3600);
  if (!Number.isInteger(expiry) || expiry < 1 || expiry > 7 * 24 * 3600) {
    throw new Error(`S3_URL_EXPIRY_SECONDS must be an integer from 1 to 604800 (got "${env.S3_URL_EXPIRY_SECONDS}")`);
  }
  return {
    endpoint,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT || endpoint,
    accessKey: required(env, 'S3_ACCESS_KEY'),
    secretKey: required(env, 'S3_SECRET_KEY'),
    bucket: env.S3_BUCKET || 'sdfarm',
    region: env.S3_REGION || 'us-east-1',
    urlExpirySeconds: expiry,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}
