import { Controller, Get, Header, Inject, Param, ParseIntPipe, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BenchmarksService } from '../benchmarks/benchmarks.service';
import { GalleryAuthGuard } from './gallery-auth.guard';
import { GalleryService } from './gallery.service';
import { benchmarkPage, indexPage, jobPage } from './pages';

const HTML = 'text/html; charset=utf-8';
const RECENT_JOBS = 24;
const LISTED_BENCHMARKS = 10;
/** Images and charts of a finished job are fixed: a retried chunk rewrites the same bytes before the job completes. */
const IMMUTABLE = 'private, max-age=86400';

/** The web page at `/`: recent jobs with thumbnails, job details with their step chart, benchmark reports with charts. */
@ApiExcludeController()
@UseGuards(GalleryAuthGuard)
@Controller()
export class GalleryController {
  constructor(
    @Inject(GalleryService) private readonly gallery: GalleryService,
    @Inject(BenchmarksService) private readonly benchmarks: BenchmarksService,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async index(): Promise<string> {
    const [jobs, benchmarks] = await Promise.all([this.gallery.recentJobs(RECENT_JOBS), this.benchmarks.list(LISTED_BENCHMARKS)]);
    return indexPage(jobs, benchmarks);
  }

  @Get('gallery/jobs/:id')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async job(@Param('id') id: string): Promise<string> {
    const { job, manifest } = await this.gallery.job(id);
    return jobPage(id, job, manifest);
  }

  @Get('gallery/jobs/:id/images/:index.png')
  @Header('Cache-Control', IMMUTABLE)
  async image(@Param('id') id: string, @Param('index', ParseIntPipe) index: number): Promise<StreamableFile> {
    return new StreamableFile(await this.gallery.image(id, index), { type: 'image/png' });
  }

  @Get('gallery/jobs/:id/images/:index/thumb.webp')
  @Header('Cache-Control', IMMUTABLE)
  async thumbnail(@Param('id') id: string, @Param('index', ParseIntPipe) index: number): Promise<StreamableFile> {
    return new StreamableFile(await this.gallery.thumbnail(id, index), { type: 'image/webp' });
  }

  @Get('gallery/jobs/:id/steps.svg')
  @Header('Content-Type', 'image/svg+xml')
  @Header('Cache-Control', IMMUTABLE)
  steps(@Param('id') id: string): Promise<string> {
    return this.gallery.stepChart(id);
  }

  @Get('gallery/benchmarks/:id')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async benchmark(@Param('id') id: string): Promise<string> {
    return benchmarkPage(await this.benchmarks.report(id));
  }

  @Get('gallery/benchmarks/:id/chart.png')
  @Header('Cache-Control', 'no-cache')
  async chart(@Param('id') id: string): Promise<StreamableFile> {
    return new StreamableFile(await this.benchmarks.chart(id, 'png'), { type: 'image/png' });
  }
}
