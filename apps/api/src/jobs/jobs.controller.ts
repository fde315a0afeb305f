import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { JobAccepted, JobView } from '../../../../libs/contracts/src/job-view';
import { RenderRequest } from '../../../../libs/contracts/src/render-request';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { JobEventsService } from './job-events.service';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/jobs')
export class JobsController {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JobEventsService) private readonly events: JobEventsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Submit prompts; large batches are split into chunks that workers render in parallel' })
  @ApiBody({ type: RenderRequest })
  @ApiResponse({ status: 201, description: '{ id, status: "queued", chunks, images }' })
  @ApiResponse({ status: 400, description: 'An invalid field: `message` names each field and its limit; nothing is queued' })
  submit(@Body() body: unknown): Promise<JobAccepted> {
    return this.jobs.submit(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, progress across chunks, image URLs, timings, workers and errors' })
  view(@Param('id') id: string): Promise<JobView> {
    return this.jobs.view(id);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel: queued chunks are removed, a running chunk stops at its next step' })
  cancel(@Param('id') id: string) {
    return this.jobs.cancel(id);
  }

  @Sse(':id/events')
  @ApiOperation({ summary: 'Server-Sent Events: snapshot, progress (every step), chunk, end' })
  stream(@Param('id') id: string): Promise<Observable<MessageEvent>> {
    return this.events.stream(id);
  }
}
