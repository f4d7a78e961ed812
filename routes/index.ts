/** Every API call, one table per group. */
import type { CallDefinition } from '../server/rpc/call';
import { projectCalls } from './project';
import { repositoryCalls } from './repository';
import { userCalls } from './user';

export const allCalls: readonly CallDefinition[] = [...userCalls, ...projectCalls, ...repositoryCalls] as readonly CallDefinition[];
