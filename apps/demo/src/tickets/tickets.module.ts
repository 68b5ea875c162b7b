import { Module } from '@nestjs/common';

import { DemoInfraModule } from '../infra/demo-infra.module.js';
import { QuoteClient } from './quote.client.js';
import { TicketStatsController, TicketsController } from './tickets.controller.js';
import { TicketsService } from './tickets.service.js';
import { UpstreamController } from './upstream.controller.js';

@Module({
  imports: [DemoInfraModule],
  controllers: [TicketsController, TicketStatsController, UpstreamController],
  providers: [TicketsService, QuoteClient],
})
export class TicketsModule {}
