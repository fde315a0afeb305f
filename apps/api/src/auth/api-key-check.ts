import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares a presented key with every accepted key in constant time (hashes make the lengths equal). */
export class ApiKeyCheck {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** `Authorization: Bearer <key>`, or `Basic base64(<any user>:<key>)` as browsers send it. */
  accepts(authorization: string | undefined): boolean {
    const key = presentedKey(authorization);
    if (key === undefined) return false;
    const d = digest(key);
    return this.digests.reduce((ok, accepted) => timingSafeEqual(accepted, d) || ok, false);
  }
}

function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme!)) return value;
  if (/^basic$/i.test(scheme!)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** `SDFARM_API_KEYS`: comma-separated. */
export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}
