/** /r/project/*: temporary projects, code execution, workspace and results. */
import { Readable } from 'node:stream';
import { defineCall, requireUser } from '../server/rpc/call';
import { DeployRError } from '../server/rpc/errors';
import type { ParamSchema } from '../server/rpc/params';
import { zipStream } from '../server/services/repository/zip';

const project = { project: { type: 'string', required: true } } as const;
const inputs = { inputs: { type: 'string' }, csvinputs: { type: 'string' } } as const;
/** How R object data is written back (workspace/get, robjects). */
const encoding = {
  infinity: { type: 'string' },
  nan: { type: 'string' },
  encodeDataFramePrimitiveAsVector: { type: 'boolean' },
} as const satisfies ParamSchema;

export const projectCalls = [
  defineCall({
    path: '/r/project/create',
    access: 'authenticated',
    csrf: 'required',
    params: {
      projectname: { type: 'string' },
      projectdescr: { type: 'string' },
      blackbox: { type: 'boolean' },
      cluster: { type: 'string' },
      ...inputs,
    },
    async handler({ params, user, session, services }) {
      return { project: await services.projects.create(requireUser(user), session.id, params) };
    },
  }),

  defineCall({
    path: '/r/project/list',
    access: 'authenticated',
    csrf: 'post',
    params: {
      sharedprojectsalso: { type: 'boolean' },
      sharedprojectsonly: { type: 'boolean' },
      isordered: { type: 'boolean' },
    },
    async handler({ params, user, services }) {
      return { projects: await services.projects.list(requireUser(user), params) };
    },
  }),

  defineCall({
    path: '/r/project/close',
    access: 'authenticated',
    csrf: 'required',
    params: { ...project, disableautosave: { type: 'boolean' }, dropworkspace: { type: 'boolean' }, dropdirectory: { type: 'boolean' }, drophistory: { type: 'boolean' } },
    async handler({ params, user, services }) {
      return { project: await services.projects.close(requireUser(user), params.project) };
    },
  }),

  defineCall({
    path: '/r/project/execute/code',
    access: 'POWER_USER',
    csrf: 'required',
    params: {
      ...project,
      code: { type: 'string', required: true },
      ...inputs,
      robjects: { type: 'list', aliases: ['robject'] },
      tag: { type: 'string' },
      echooff: { type: 'boolean' },
      consoleoff: { type: 'boolean' },
      artifactsoff: { type: 'boolean' },
      phantom: { type: 'boolean' },
      graphics: { type: 'string' },
      graphicswidth: { type: 'integer' },
      graphicsheight: { type: 'integer' },
      ...encoding,
    },
    async handler({ params, user, services, baseUrl }) {
      for (const size of [params.graphicswidth, params.graphicsheight]) {
        if (size !== undefined && (size < 16 || size > 10000)) throw new DeployRError(400, 'Bad Request: graphicswidth and graphicsheight must be between 16 and 10000');
      }
      return services.projects.execute(requireUser(user), params.project, params, baseUrl);
    },
  }),

  defineCall({
    path: '/r/project/execute/interrupt',
    access: 'authenticated',
    csrf: 'required',
    params: { ...project },
    async handler({ params, user, services }) {
      return { project: await services.projects.interrupt(requireUser(user), params.project) };
    },
  }),

  defineCall({
    path: '/r/project/execute/result/download',
    access: 'authenticated',
    csrf: 'post',
    pathParams: ['project', 'execution', 'filename'],
    params: { ...project, execution: { type: 'list' }, filename: { type: 'string' }, drophistory: { type: 'boolean' } },
    async handler({ params, user, services }) {
      const files = await services.projects.results(requireUser(user), params.project, params.execution ?? [], params.filename);
      if (params.filename) {
        const [file] = files;
        return { kind: 'download', contentType: file.type, filename: file.filename, inline: params.drophistory, length: file.content.length, body: file.content };
      }
      const now = new Date();
      const zip = zipStream(files.map((f) => ({ name: f.filename, mtime: now, size: f.content.length, open: () => Readable.from([f.content]) })));
      return { kind: 'download', contentType: 'application/zip', filename: `${params.project}.zip`, body: zip };
    },
  }),

  defineCall({
    path: '/r/project/workspace/get',
    access: 'authenticated',
    csrf: 'post',
    params: { ...project, name: { type: 'list', required: true }, ...encoding },
    async handler({ params, user, services }) {
      return services.projects.workspaceGet(requireUser(user), params.project, params.name, params);
    },
  }),

  defineCall({
    path: '/r/project/workspace/push',
    access: 'authenticated',
    csrf: 'required',
    params: { ...project, ...inputs },
    async handler({ params, user, services }) {
      return services.projects.workspacePush(requireUser(user), params.project, params);
    },
  }),
];
