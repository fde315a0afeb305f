import { Module, type DynamicModule, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CancelSignals } from '../../../libs/queue/src/cancel-signals';
import { JobEventsFeed } from '../../../libs/queue/src/job-events-feed';
import { createRedisClient } from '../../../libs/queue/src/redis';
import { RenderQueueRepository } from '../../../libs/queue/src/render-queue.repository';
import { WorkerRegistry } from '../../../libs/queue/src/worker-registry';
import { ObjectStorage } from '../../../libs/storage/src/object-storage';
import { ApiKeyCheck } from './auth/api-key-check';
import { ApiKeyGuard } from './auth/api-key.guard';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { JobEventsService } from './jobs/job-events.service';
import { JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { API_SETTINGS, type ApiSettings } from './settings';
import { WorkersController } from './workers/workers.controller';
import { BenchmarksModule } from './benchmarks/benchmarks.module';
import { GalleryModule } from './gallery/gallery.module';

/** Closes the connections to Redis when the app closes. */
@Injectable()
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(RenderQueueRepository) private readonly queue: RenderQueueRepository,
    @Inject(JobEventsFeed) private readonly feed: JobEventsFeed,
    @Inject(Redis) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.queue.close(), this.feed.close()]);
    this.redis.disconnect();
  }
}

@Module({})
export class AppModule {
  /** One repository per external system (queue, storage), built from the settings. */
  static forRoot(settings: ApiSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [BenchmarksModule.forRoot(settings), GalleryModule],
      controllers: [JobsController, WorkersController, HealthController],
      providers: [
        { provide: API_SETTINGS, useValue: settings },
        { provide: ApiKeyCheck, useValue: new ApiKeyCheck(settings.apiKeys) },
        { provide: Redis, useFactory: () => createRedisClient(settings.redisUrl) },
        { provide: RenderQueueRepository, useFactory: () => new RenderQueueRepository(settings.redisUrl) },
        {
          provide: JobEventsFeed,
          useFactory: async () => {
            const feed = new JobEventsFeed(settings.redisUrl);
            await feed.ready();
            return feed;
          },
        },
        {
          provide: ObjectStorage,
          useFactory: async () => {
            const storage = new ObjectStorage(settings.storage);
            await storage.ensureBucket();
            return storage;
          },
        },
        { provide: CancelSignals, useFactory: (redis: Redis) => new CancelSignals(redis), inject: [Redis] },
        { provide: WorkerRegistry, useFactory: (redis: Redis) => new WorkerRegistry(redis), inject: [Redis] },
        ApiKeyGuard,
        JobsService,
        JobEventsService,
        HealthService,
        ConnectionsCloser,
      ],
    };
  }
}
