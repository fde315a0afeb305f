import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { RenderQueueRepository } from '../../../libs/queue/src/render-queue.repository';
import { AppModule } from './app.module';
import { ApiKeyCheck } from './auth/api-key-check';
import { DASHBOARD_PATH, dashboardMiddleware } from './dashboard/bull-board';
import { jsonBody } from './http/json-body';
import { describeRenderRequest } from './jobs/render-request.openapi';
import type { ApiSettings } from './settings';

export interface RunningApi {
  readonly app: INestApplication;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the API: `/v1` (Bearer auth), `/queues` (bull-board), `/health`, `/docs` (OpenAPI). */
export interface StartOptions {
  readonly logger?: LogLevel[] | false;
  /**
   * Close on SIGTERM/SIGINT (then re-raise the signal): for the API as its own process. The embedded
   * farm leaves signals to its owner, which stops the workers before the API.
   */
  readonly shutdownHooks?: boolean;
}

export async function startApi(settings: ApiSettings, options: StartOptions = {}): Promise<RunningApi> {
  describeRenderRequest();
  const app = await NestFactory.create(AppModule.forRoot(settings), { bodyParser: false, logger: options.logger ?? ['error', 'warn'] });
  app.use(jsonBody(settings.bodyLimitBytes));
  app.use(DASHBOARD_PATH, ...dashboardMiddleware(app.get(RenderQueueRepository), app.get(ApiKeyCheck)));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('sdfarm')
      .setDescription('A Stable Diffusion render farm: prompts in, images in object storage out, every step timed.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a key from SDFARM_API_KEYS' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  if (options.shutdownHooks) app.enableShutdownHooks();
  await app.listen(settings.port, settings.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  return { app, port, url: `http://${host}:${port}`, close: () => app.close() };
}
