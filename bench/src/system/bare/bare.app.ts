import 'reflect-metadata';

import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Inject,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, type Repository } from 'typeorm';

import { BareTicket } from './bare-ticket.entity.js';

/**
 * The peer of the overhead comparison: a bare Nest 12 app doing the demo's ticket work with plain
 * TypeORM (pg.Pool of the same size, 10) — no Ballast module, no metrics, no admission control, no
 * cache. Same routes and SQL as the demo's `/tickets/:id`, `POST /tickets` and `/ticket-stats`.
 */
const DATA_SOURCE = Symbol('bare:data-source');

@Controller()
class BareTicketsController implements OnApplicationShutdown {
  private readonly tickets: Repository<BareTicket>;

  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {
    this.tickets = dataSource.getRepository(BareTicket);
  }

  @Get('tickets/:id')
  async get(@Param('id', ParseIntPipe) id: number) {
    const ticket = await this.tickets.findOneBy({ id });
    if (!ticket) throw new NotFoundException(`ticket ${id} does not exist`);
    return ticket;
  }

  @Post('tickets')
  create(@Body() body: { title?: unknown; priority?: unknown }) {
    if (typeof body?.title !== 'string' || body.title.trim() === '') throw new BadRequestException('title');
    const priority = typeof body.priority === 'number' ? body.priority : undefined;
    return this.tickets.save(this.tickets.create({ title: body.title.trim(), priority }));
  }

  @Get('ticket-stats')
  async statistics() {
    const rows: { status: string; n: number; mean: string | null }[] = await this.dataSource.query(
      'SELECT status, count(*)::int AS n, avg(priority)::text AS mean FROM ticket GROUP BY status',
    );
    const total = rows.reduce((sum, r) => sum + r.n, 0);
    return { total, byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dataSource.destroy();
  }
}

@Module({
  controllers: [BareTicketsController],
  providers: [
    {
      provide: DATA_SOURCE,
      useFactory: () =>
        new DataSource({
          type: 'postgres',
          url: process.env.DATABASE_URL,
          entities: [BareTicket],
          synchronize: true,
          extra: { max: 10 },
        }).initialize(),
    },
  ],
})
class BareModule {}

const app = await NestFactory.create(BareModule, { logger: ['error', 'warn', 'log'] });
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
await app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
console.log(`Bare app listening on http://localhost:${address.port}`);
