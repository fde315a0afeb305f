import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyCheck } from './api-key-check';

/** Guards every `/v1` route: `Authorization: Bearer <key>` with a key from `SDFARM_API_KEYS`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(ApiKeyCheck) private readonly check: ApiKeyCheck) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<IncomingMessage>();
    if (this.check.accepts(request.headers.authorization)) return true;
    http.getResponse<ServerResponse>().setHeader('WWW-Authenticate', 'Bearer realm="sdfarm"');
    throw new UnauthorizedException('Authorization: Bearer <API key> required (keys come from SDFARM_API_KEYS)');
  }
}
