import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';

import type { ResourceTracker } from './resource-tracker.js';
import { RESOURCE_TRACKER } from './tracker.constants.js';

/**
 * Attributes what a handler opens, across its awaits, to `Controller.handler`: a FileHandle, a
 * socket or a `tracked()` object created while the request runs gets that owner unless its own
 * registration names one. Built on `ResourceTracker.runAsAsync`, so it brings AsyncLocalStorage's
 * cost with it (on Node 20, every await of the process): apply it to the controllers you are
 * hunting a leak in, or app-wide where that cost is acceptable.
 *
 * @example
 * \@UseInterceptors(ResourceOwnerInterceptor)
 * \@Controller('exports')
 * export class ExportController { ... }
 */
@Injectable()
export class ResourceOwnerInterceptor implements NestInterceptor {
  constructor(@Inject(RESOURCE_TRACKER) private readonly tracker: ResourceTracker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const owner = `${context.getClass().name}.${context.getHandler().name}`;
    return new Observable((subscriber) => this.tracker.runAsAsync(owner, () => next.handle().subscribe(subscriber)));
  }
}
