import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { ApiKeyCheck } from '../auth/api-key-check';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { ApiSettings } from '../settings';
import { BenchmarkQueue } from './benchmark-queue';
import { BenchmarkStore } from './benchmark-store';
import { BenchmarksController } from './benchmarks.controller';
import { BenchmarksService, REPORTS_SETTINGS } from './benchmarks.service';

@Injectable()
class BenchmarkQueueCloser implements OnApplicationShutdown {
  constructor(@Inject(BenchmarkQueue) private readonly queue: BenchmarkQueue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * `/v1/benchmarks`. Global, so that the gallery (and any later module) can use the benchmark service
 * and the settings; it opens its own storage client and Redis connection from the settings.
 */
@Module({})
export class BenchmarksModule {
  static forRoot(settings: ApiSettings): DynamicModule {
    return {
      module: BenchmarksModule,
      global: true,
      controllers: [BenchmarksController],
      providers: [
        { provide: REPORTS_SETTINGS, useValue: settings },
        { provide: ApiKeyCheck, useValue: new ApiKeyCheck(settings.apiKeys) },
        {
          provide: BenchmarkStore,
          useFactory: async () => {
            const storage = new ObjectStorage(settings.storage);
            await storage.ensureBucket();
            return new BenchmarkStore(storage);
          },
        },
        { provide: BenchmarkQueue, useFactory: () => new BenchmarkQueue(settings.redisUrl) },
        ApiKeyGuard,
        BenchmarksService,
        BenchmarkQueueCloser,
      ],
      exports: [REPORTS_SETTINGS, BenchmarksService],
    };
  }
}
