/** Every API call, one table per group. */
import type { CallDefinition } from '../server/rpc/call';
import { repositoryCalls } from './repository';
import { userCalls } from './user';

export const allCalls: readonly CallDefinition[] = [...userCalls, ...repositoryCalls] as readonly CallDefinition[];
