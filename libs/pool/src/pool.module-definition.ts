import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';

import { dataSourceToken } from './pool.constants.js';
import type { PoolModuleOptions } from './pool.options.js';
import { PoolRegistry } from './pool.registry.js';

export interface PoolModuleExtras {
  /** Global by default, like BallastCoreModule. */
  readonly isGlobal?: boolean;
  /**
   * Databases whose DataSource can be injected with `@InjectPoolDataSource(name)`. forRoot adds
   * every `use: 'typeorm'` database by itself; forRootAsync needs the names here, as they are only
   * known once its factory has run.
   */
  readonly dataSources?: readonly string[];
}

/** With forRoot the extras callback sees the whole options object, so the names can be read from it. */
function dataSourceNames(extras: PoolModuleExtras & Partial<PoolModuleOptions>): string[] {
  const fromOptions = Object.entries(extras.databases ?? {})
    .filter(([, db]) => (db.use ?? 'typeorm') === 'typeorm')
    .map(([name]) => name);
  return [...new Set([...(extras.dataSources ?? []), ...fromOptions])];
}

export const {
  ConfigurableModuleClass: ConfigurablePoolModule,
  MODULE_OPTIONS_TOKEN: POOL_MODULE_OPTIONS,
  OPTIONS_TYPE: POOL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: POOL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PoolModuleOptions>({ moduleName: 'Pool' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createPoolOptions')
  .setExtras<PoolModuleExtras>({ isGlobal: true, dataSources: [] }, (definition, extras) => {
    const names = dataSourceNames(extras);
    const providers: Provider[] = names.map((name) => ({
      provide: dataSourceToken(name),
      useFactory: (registry: PoolRegistry) => registry.dataSource(name),
      inject: [PoolRegistry],
    }));
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), ...providers],
      exports: [...(definition.exports ?? []), ...names.map((name) => dataSourceToken(name))],
    };
  })
  .build();
