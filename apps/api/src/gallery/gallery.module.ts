import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { ApiKeyCheck } from '../auth/api-key-check';
import { REPORTS_SETTINGS } from '../benchmarks/benchmarks.service';
import type { ApiSettings } from '../settings';
import { GalleryAuthGuard } from './gallery-auth.guard';
import { GalleryController } from './gallery.controller';
import { GALLERY_STORAGE, GalleryService } from './gallery.service';
import { RecentJobs } from './recent-jobs';

@Injectable()
class RecentJobsCloser implements OnApplicationShutdown {
  constructor(@Inject(RecentJobs) private readonly jobs: RecentJobs) {}

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.close();
  }
}

/** The gallery at `/`. Needs `BenchmarksModule.forRoot(settings)` (global) for the settings and the benchmark reports. */
@Module({
  controllers: [GalleryController],
  providers: [
    { provide: ApiKeyCheck, useFactory: (s: ApiSettings) => new ApiKeyCheck(s.apiKeys), inject: [REPORTS_SETTINGS] },
    { provide: GALLERY_STORAGE, useFactory: (s: ApiSettings) => new ObjectStorage(s.storage), inject: [REPORTS_SETTINGS] },
    { provide: RecentJobs, useFactory: (s: ApiSettings) => new RecentJobs(s.redisUrl), inject: [REPORTS_SETTINGS] },
    GalleryAuthGuard,
    GalleryService,
    RecentJobsCloser,
  ],
})
export class GalleryModule {}
