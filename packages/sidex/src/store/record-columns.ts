// How a record is laid out in a table row: the fields that are queried get
// columns of their own (and indexes), the whole record is kept as JSON. Every
// SQL store writes and reads rows through here.
import type { ExecutionRecord } from '../model/record.js';
import { foldName, idPrefixOf } from './filter.js';

/** Output bytes an execution's log holds, as captured (framing not counted). */
export const logBytesOf = (record: Pick<ExecutionRecord, 'stdout' | 'stderr'>): number => record.stdout.bytes + record.stderr.bytes;

export const RECORD_COLUMNS = ['id', 'owner', 'status', 'kind', 'name', 'name_folded', 'id_prefix', 'created_at', 'log_bytes', 'doc'] as const;
export type RecordColumn = (typeof RECORD_COLUMNS)[number];

/** Columns an update changes: the id, what derives from it, and who wrote it first stay. */
export const UPDATED_COLUMNS = RECORD_COLUMNS.filter((c) => c !== 'id' && c !== 'id_prefix' && c !== 'owner');

/** The row's values in RECORD_COLUMNS order: built straight into the statement's parameters, as every record write does. */
export function rowValues(record: ExecutionRecord, owner: string | null): unknown[] {
  return [
    record.id,
    owner,
    record.status,
    record.kind,
    record.name,
    foldName(record.name),
    idPrefixOf(record.id),
    record.createdAt,
    logBytesOf(record),
    JSON.stringify(record),
  ];
}

/** Where each of UPDATED_COLUMNS is in a row's values. */
export const UPDATED_POSITIONS = UPDATED_COLUMNS.map((c) => RECORD_COLUMNS.indexOf(c));

export function recordFromDoc(doc: string): ExecutionRecord {
  return JSON.parse(doc) as ExecutionRecord;
}
