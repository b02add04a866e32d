import { randomBytes } from 'node:crypto';

/** A task's token: `tk_<random>`, what every later call names the task by. */
export const newTaskToken = (): string => `tk_${randomBytes(12).toString('base64url')}`;

/** The token RocketRide hands out for public (unauthenticated) access to a task's sources. */
export const newPublicToken = (): string => `pk_${randomBytes(12).toString('base64url')}`;
