import type { ActionBlockReplies } from '../replies/action-block-replies.js';
import { route, type RouteSpec } from './route.js';
import { ActionBlockNameParams, ActionBlocksQuery, StartActionBlockBody } from './schemas.js';

const TAG = 'action blocks';

/** `/v1/action-blocks`: list, detail, and run by name. */
export function actionBlockRoutes(replies: ActionBlockReplies): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/v1/action-blocks',
      operationId: 'listActionBlocks',
      summary: 'Action blocks of the project, the global directory and the built-ins',
      tag: TAG,
      query: ActionBlocksQuery,
      handle: ({ query }) => replies.list(query.filterType, query.projectPath),
    }),
    route({
      method: 'GET',
      url: '/v1/action-blocks/:name',
      operationId: 'getActionBlockDetail',
      summary: 'One action block by name',
      tag: TAG,
      params: ActionBlockNameParams,
      handle: ({ params }) => replies.getDetail(params.name),
    }),
    route({
      method: 'POST',
      url: '/v1/action-blocks/:name/start',
      operationId: 'startActionBlock',
      summary: 'Run an action block by name; answers once it has finished, with its result',
      tag: TAG,
      params: ActionBlockNameParams,
      body: StartActionBlockBody,
      handle: ({ params, body }) => replies.start(params.name, body?.params),
    }),
  ];
}
