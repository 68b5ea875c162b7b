import { PageQueryPipe, type PageQuery } from '@ballast/core';
import { CacheResponse, HttpCacheInterceptor } from '@ballast/cache';
import { QueryTimeoutError } from '@ballast/pool';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Patch,
  Post,
  Query,
  ServiceUnavailableException,
  UseInterceptors,
} from '@nestjs/common';

import { readTicketInput } from './ticket.input.js';
import { TicketsService } from './tickets.service.js';

@Controller('tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Get()
  list(@Query(PageQueryPipe) page: PageQuery) {
    return this.tickets.list(page);
  }

  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number) {
    return this.tickets.get(id);
  }

  @Post()
  create(@Body() body: unknown) {
    return this.tickets.create(readTicketInput(body, false));
  }

  @Patch(':id')
  update(@Param('id', ParseIntPipe) id: number, @Body() body: unknown) {
    return this.tickets.update(id, readTicketInput(body, true));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseIntPipe) id: number) {
    return this.tickets.remove(id);
  }
}

/** Ticket statistics: an analytics query with its own budget, cached with single-flight loading. */
@Controller('ticket-stats')
@UseInterceptors(HttpCacheInterceptor)
export class TicketStatsController {
  constructor(private readonly tickets: TicketsService) {}

  @Get()
  @CacheResponse({ cache: 'ticket-stats', ttlMs: 5_000, staleWhileRevalidateMs: 30_000 })
  async statistics() {
    try {
      return await this.tickets.statistics();
    } catch (error) {
      if (error instanceof QueryTimeoutError) {
        throw new ServiceUnavailableException('The statistics query ran past its budget; try again shortly');
      }
      throw error;
    }
  }
}
