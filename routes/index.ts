/** Every API call, one table per group. */
import type { CallDefinition } from '../server/rpc/call';
import { userCalls } from './user';

export const allCalls: readonly CallDefinition[] = [...userCalls] as readonly CallDefinition[];
