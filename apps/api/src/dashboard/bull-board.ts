import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RenderQueueRepository } from '../../../../libs/queue/src/render-queue.repository';
import type { ApiKeyCheck } from '../auth/api-key-check';

export const DASHBOARD_PATH = '/queues';

type Next = () => void;

/**
 * bull-board at `/queues`, behind Basic auth so a browser can open it: any user name, an API key as
 * the password (a Bearer header works too).
 */
export function dashboardMiddleware(queue: RenderQueueRepository, check: ApiKeyCheck) {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue.jobsQueue), new BullMQAdapter(queue.renderQueue)],
    // @bull-board/express 9.10.1 brings its own @bull-board/api 9.10.1 beside our 9.10.2: same shape,
    // separately declared types.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  const router = serverAdapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: Next) => void;
  const auth = (req: IncomingMessage, res: ServerResponse, next: Next) => {
    if (check.accepts(req.headers.authorization)) return next();
    res.statusCode = 401;
    res.setHeader('WWW-Authenticate', 'Basic realm="sdfarm dashboard: any user name, an API key as password", charset="UTF-8"');
    res.end('API key required (Basic auth: any user name, the key as password)');
  };
  return [auth, router] as const;
}
