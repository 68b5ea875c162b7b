import { Inject } from '@nestjs/common';

import { dataSourceToken } from './pool.constants.js';

/** Injects the DataSource of a database listed in `PoolModule.forRoot*({ dataSources: [...] })`, or in `databases` with forRoot. */
export const InjectPoolDataSource = (name = 'default'): ParameterDecorator => Inject(dataSourceToken(name));
