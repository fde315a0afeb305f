import { BadRequestException, Body, Controller, Get, Header, Inject, Param, Post, Query, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { BenchmarkReport, BenchmarkSummary } from '../../../../libs/reports/src/report-types';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { BENCHMARK_REQUEST_SCHEMA } from './benchmark-request.openapi';
import { BenchmarksService, type BenchmarkAccepted } from './benchmarks.service';

@ApiTags('benchmarks')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/benchmarks')
export class BenchmarksController {
  constructor(@Inject(BenchmarksService) private readonly benchmarks: BenchmarksService) {}

  @Post()
  @ApiOperation({ summary: 'Run the policy matrix (float32, mixed float16, jit, both) on one worker, or on every live worker' })
  @ApiBody({ schema: BENCHMARK_REQUEST_SCHEMA })
  @ApiResponse({ status: 201, description: '{ id, status: "queued", targets, report }' })
  @ApiResponse({ status: 400, description: 'An invalid field, named with its limit' })
  submit(@Body() body: unknown): Promise<BenchmarkAccepted> {
    return this.benchmarks.submit(body);
  }

  @Get()
  @ApiOperation({ summary: 'Benchmarks, newest first' })
  async list(@Query('limit') limit?: string): Promise<{ benchmarks: BenchmarkSummary[] }> {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new BadRequestException(`limit must be an integer from 1 to 1000 (got "${limit}")`);
    return { benchmarks: await this.benchmarks.list(n) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'The report: per worker and policy, first call, warm runs, steps, speed-up, image difference, hardware and software' })
  report(@Param('id') id: string): Promise<BenchmarkReport> {
    return this.benchmarks.report(id);
  }

  @Get(':id/report.md')
  @Header('Content-Type', 'text/markdown; charset=utf-8')
  @ApiProduces('text/markdown')
  @ApiOperation({ summary: "The report as a Markdown table shaped like the experiment's, with its reference rows beneath" })
  markdown(@Param('id') id: string): Promise<string> {
    return this.benchmarks.markdown(id);
  }

  @Get(':id/chart.png')
  @ApiProduces('image/png')
  @ApiOperation({ summary: 'Run time per policy and time per step, as a PNG rendered on the server' })
  async chartPng(@Param('id') id: string): Promise<StreamableFile> {
    return new StreamableFile(await this.benchmarks.chart(id, 'png'), { type: 'image/png' });
  }

  @Get(':id/chart.svg')
  @ApiProduces('image/svg+xml')
  @ApiOperation({ summary: 'The chart as SVG' })
  async chartSvg(@Param('id') id: string): Promise<StreamableFile> {
    return new StreamableFile(await this.benchmarks.chart(id, 'svg'), { type: 'image/svg+xml' });
  }
}
