/** The domain services every call handler receives. Assembled once in server/app.ts. */
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { GridResources } from './grid';
import { createRepositoryService, type RepositoryService } from './repository';
import { UserService } from './users';

export interface Services {
  config: Config;
  db: Db;
  users: UserService;
  grid: GridResources;
  repository: RepositoryService;
}

export function createServices(config: Config, db: Db): Services {
  return {
    config,
    db,
    users: new UserService(db, { lockoutAttempts: config.lockoutAttempts, lockoutMinutes: config.lockoutMinutes }),
    grid: new GridResources(),
    repository: createRepositoryService(config, db),
  };
}
