/** A validated page request: `page` from 1, `size` within the configured bounds. */
export interface PageQuery {
  readonly page: number;
  readonly size: number;
  /** Rows to skip: `(page - 1) * size`, ready for SQL `OFFSET` / TypeORM `skip`. */
  readonly offset: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly size: number;
  readonly total: number;
  readonly totalPages: number;
}

export function toPage<T>(items: T[], total: number, query: PageQuery): Page<T> {
  return {
    items,
    page: query.page,
    size: query.size,
    total,
    totalPages: total === 0 ? 0 : Math.ceil(total / query.size),
  };
}
