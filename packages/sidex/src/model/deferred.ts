// The runtime's own, one for both: a runtime may read only its own directory (the permission model).
export { deferred, type Deferred } from '../runtime/deferred.js';
