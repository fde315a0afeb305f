import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyCheck } from '../auth/api-key-check';

/**
 * The gallery's pages and images: the same keys as the API, asked for with a Basic challenge so that
 * a browser prompts (any user name, an API key as the password); a Bearer header works too.
 */
@Injectable()
export class GalleryAuthGuard implements CanActivate {
  constructor(@Inject(ApiKeyCheck) private readonly check: ApiKeyCheck) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    if (this.check.accepts(http.getRequest<IncomingMessage>().headers.authorization)) return true;
    http.getResponse<ServerResponse>().setHeader('WWW-Authenticate', 'Basic realm="sdfarm: any user name, an API key as password", charset="UTF-8"');
    throw new UnauthorizedException('API key required (Basic auth: any user name, the key as password; or Authorization: Bearer <key>)');
  }
}
