/** /r/user/*: sign in and out, who am I, autosave, release grid resources. */
import { defineCall, requireUser } from '../server/rpc/call';
import type { ResponsePayload } from '../server/rpc/envelope';
import { DeployRError } from '../server/rpc/errors';
import type { Services } from '../server/services';
import { permissionsOf, type AuthenticatedUser } from '../server/services/users';

/** `user` and `limits` as login, about and autosave show them. */
async function identity(services: Services, user: AuthenticatedUser): Promise<ResponsePayload> {
  return {
    user: {
      username: user.username,
      displayname: user.displayname,
      permissions: { ...permissionsOf(user) },
      cookie: await services.users.cookieOf(user.id),
    },
    limits: { ...services.config.limits },
  };
}

export const userCalls = [
  defineCall({
    path: '/r/user/login',
    access: 'anonymous',
    csrf: 'exempt',
    echoToken: true,
    params: {
      username: { type: 'string', required: true },
      password: { type: 'string', required: true },
      disableautosave: { type: 'boolean' },
    },
    async handler({ params, session, services }) {
      const current = session.user;
      if (current && current.username !== params.username) {
        throw new DeployRError(942, `Another user is already authenticated on this HTTP session: ${current.username}`);
      }
      const user = await services.users.authenticate(params.username, params.password);
      await session.login(user, { autosave: !params.disableautosave });
      if (current && params.disableautosave !== undefined) session.autosave = !params.disableautosave;
      return identity(services, user);
    },
  }),

  defineCall({
    path: '/r/user/logout',
    access: 'authenticated',
    csrf: 'required',
    params: { usercookie: { type: 'string' } },
    async handler({ params, session, services }) {
      const user = requireUser(session.user);
      if (params.usercookie !== undefined) await services.users.setCookie(user.id, params.usercookie);
      const sessionId = session.id;
      if (sessionId) await services.grid.releaseHttpSession(sessionId);
      await session.destroy();
    },
  }),

  defineCall({
    path: '/r/user/about',
    access: 'authenticated',
    csrf: 'post',
    echoToken: true,
    params: {},
    async handler({ session, services }) {
      return identity(services, requireUser(session.user));
    },
  }),

  defineCall({
    path: '/r/user/autosave',
    access: 'authenticated',
    csrf: 'required',
    params: { enable: { type: 'boolean' } },
    async handler({ params, session, services }) {
      const user = requireUser(session.user);
      if (params.enable !== undefined) session.autosave = params.enable;
      return identity(services, user);
    },
  }),

  defineCall({
    path: '/r/user/release',
    access: 'authenticated',
    csrf: 'required',
    params: {},
    async handler({ session, services }) {
      const user = requireUser(session.user);
      await services.grid.releaseUser(user.id);
      return { whoami: user.username };
    },
  }),
];
