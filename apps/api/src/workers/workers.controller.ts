import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { WorkerStatus } from '../../../../libs/contracts/src/render-job';
import { WorkerRegistry } from '../../../../libs/queue/src/worker-registry';
import { ApiKeyGuard } from '../auth/api-key.guard';

@ApiTags('workers')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/workers')
export class WorkersController {
  constructor(@Inject(WorkerRegistry) private readonly registry: WorkerRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Live workers: device, runtime, policies, current job, loaded pipelines, last heartbeat' })
  async list(): Promise<{ workers: WorkerStatus[] }> {
    return { workers: await this.registry.list() };
  }
}
