/** The domain services every call handler receives. Assembled once in server/app.ts. */
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { Engine } from '../engine/engine';
import { GridResources } from './grid';
import { ProjectService } from './projects';
import { createRepositoryService, type RepositoryService } from './repository';
import { UserService } from './users';

export interface Services {
  config: Config;
  db: Db;
  users: UserService;
  grid: GridResources;
  repository: RepositoryService;
  engine: Engine;
  projects: ProjectService;
}

export function createServices(config: Config, db: Db, log: (message: string, err?: unknown) => void): Services {
  const engine = new Engine({ config, log: config.logLevel === 'silent' ? undefined : (line) => log(`[R] ${line}`) });
  const projects = new ProjectService(db, engine, config, log);
  const grid = new GridResources();
  grid.register(projects);
  return {
    config,
    db,
    users: new UserService(db, { lockoutAttempts: config.lockoutAttempts, lockoutMinutes: config.lockoutMinutes }),
    grid,
    repository: createRepositoryService(config, db),
    engine,
    projects,
  };
}
