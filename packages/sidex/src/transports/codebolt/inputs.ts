// The Codebolt dialect's request fields, under the names Codebolt's SDK sends
// them (flat on the frame: `sideExecutionId`, `inlineCode`, `graceMs`...), so
// that every error names the field the caller sent. The in-process API parses
// its arguments with the same schemas: its methods are the SDK's.
import { z } from 'zod';
import { BLOCK_FILTER_TYPES } from '../../services/action-block-service.js';
import { CapabilityFilterInput, CapabilityName, CapabilityTypeInput } from '../../services/capability/capability-schemas.js';
import { checkStdinWrite, CommandArgv, CommandCwd, CommandEnv, CommandStdin, stdinWrite, StdinWriteFields } from '../../services/command-schemas.js';
import { BlockPath, EventsQuery, ExecutionId, InlineCode, ListInput, Params, StartOptions, StopOptions, TimeoutMs } from '../../services/schemas.js';

const startCommon = { params: Params.nullish(), timeout: TimeoutMs.nullish(), options: StartOptions.optional() };

export const StartWithCodeFields = z.object({ inlineCode: InlineCode, ...startCommon });
export const StartWithBlockFields = z.object({ actionBlockPath: BlockPath, ...startCommon });
/** startSideExecution with `command` (a sidex extension): the program, its cwd, env and stdin ride flat on the frame. */
export const StartCommandFields = z.object({
  command: CommandArgv,
  cwd: CommandCwd.nullish(),
  env: CommandEnv.nullish(),
  stdin: CommandStdin.nullish(),
  timeout: TimeoutMs.nullish(),
  options: StartOptions.optional(),
});
/** writeSideExecutionStdin (a sidex extension): `data` in its `encoding`, and `close`. */
export const WriteStdinFields = z.object({ sideExecutionId: ExecutionId, ...StdinWriteFields }).strict().superRefine(checkStdinWrite).transform(stdinWrite);

export const SideExecutionIdField = z.object({ sideExecutionId: ExecutionId });
export const OptionalSideExecutionIdField = z.object({ sideExecutionId: ExecutionId.nullish() });
export const ExecutionIdField = z.object({ executionId: ExecutionId });

/** graceMs and force ride flat on a stop frame (a sidex extension), as the SDK spreads its options there. */
export const StopSideExecutionFields = z.object({ sideExecutionId: ExecutionId, ...StopOptions.shape }).strict();
export const StopCapabilityFields = z.object({ executionId: ExecutionId, ...StopOptions.shape }).strict();
/** after and limit ride flat on an events frame. */
export const EventsFields = z.object({ sideExecutionId: ExecutionId, ...EventsQuery.shape }).strict();

export const ListFields = z.object({ filter: ListInput.nullish() });
export const ProjectPathField = z.object({ projectPath: z.string({ error: 'must be a string' }).max(4096, 'is too long').nullish() });

const BlockName = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(500, 'is too long');
export const BlockFilterField = z.object({ filterType: z.enum(BLOCK_FILTER_TYPES, { error: `must be one of ${BLOCK_FILTER_TYPES.join(', ')}` }).nullish() });
/** actionBlock.list: by type, in a project (the SDK sends filterType; sidex also takes projectPath). */
export const ListBlocksFields = BlockFilterField.extend(ProjectPathField.shape);
export const BlockNameField = z.object({ actionBlockName: BlockName });
export const StartActionBlockFields = z.object({ actionBlockName: BlockName, params: Params.nullish() });

export const CapabilityFilterField = z.object({ filter: CapabilityFilterInput.nullish() });
export const CapabilityDetailFields = z.object({ capabilityName: CapabilityName, capabilityType: CapabilityTypeInput.nullish() });
export const StartCapabilityFields = z.object({ capabilityName: CapabilityName, capabilityType: CapabilityTypeInput, ...startCommon });
