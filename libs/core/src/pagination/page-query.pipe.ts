import { BadRequestException, Inject, Injectable, type PipeTransform } from '@nestjs/common';

import { BALLAST_CORE_OPTIONS } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import type { PageQuery } from './page-query.js';

type RawQuery = Record<string, unknown> | undefined;

function readPositiveInt(raw: unknown, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (typeof text !== 'string' || !/^\d+$/.test(text.trim())) {
    throw new BadRequestException(`${name} must be a positive whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * Validates `?page=&size=` on list endpoints: `@Query(PageQueryPipe) query: PageQuery`.
 * Sizes over `pagination.maxPageSize` are a 400, or clamped when `pagination.overflow` is `clamp`.
 */
@Injectable()
export class PageQueryPipe implements PipeTransform<RawQuery, PageQuery> {
  constructor(@Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions) {}

  transform(query: RawQuery): PageQuery {
    const { defaultPageSize, maxPageSize, overflow } = this.options.pagination;
    const page = readPositiveInt(query?.page, 'page') ?? 1;
    let size = readPositiveInt(query?.size, 'size') ?? defaultPageSize;
    if (page < 1) throw new BadRequestException('page must be 1 or more');
    if (page > Number.MAX_SAFE_INTEGER / maxPageSize) throw new BadRequestException('page is too large');
    if (size < 1) throw new BadRequestException(`size must be between 1 and ${maxPageSize}`);
    if (size > maxPageSize) {
      if (overflow === 'reject') {
        throw new BadRequestException(`size must be between 1 and ${maxPageSize}, got ${size}`);
      }
      size = maxPageSize;
    }
    return { page, size, offset: (page - 1) * size };
  }
}
