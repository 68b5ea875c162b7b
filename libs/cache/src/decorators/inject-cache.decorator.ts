import { Inject } from '@nestjs/common';

import { DEFAULT_CACHE_NAME, getCacheToken } from '../cache.constants.js';

/**
 * Injects the `AsyncTTLCache` called `name` (the default cache without one). With forRootAsync,
 * list the names in `cacheNames` so their providers exist.
 *
 * @example constructor(@InjectCache('tickets') private readonly cache: AsyncTTLCache<TicketStats>) {}
 */
export const InjectCache = (name: string = DEFAULT_CACHE_NAME): ParameterDecorator & PropertyDecorator =>
  Inject(getCacheToken(name));
