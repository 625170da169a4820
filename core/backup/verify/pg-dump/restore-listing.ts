import type { TocEntry } from './pg-dump-archive';

const SPECIAL = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);
const DATABASE = new Set(['DATABASE', 'DATABASE PROPERTIES']);
const DATA_WITHOUT_DUMPER = new Set(['SEQUENCE SET', 'BLOB', 'BLOB METADATA']);
const PER_OBJECT = new Set(['ACL', 'COMMENT', 'SECURITY LABEL']);

/** One entry as `pg_restore --list` prints it: `dumpId; tableoid oid desc namespace tag owner`. */
export function restoreListLine(entry: TocEntry): string {
  const clean = (value: string | null, hyphen: boolean): string =>
    value === null ? (hyphen ? '-' : '') : value.replace(/[\r\n]/g, ' ');
  return `${entry.dumpId}; ${entry.tableOid} ${entry.oid} ${entry.desc} ${clean(entry.namespace, true)} ${clean(
    entry.tag,
    false,
  )} ${clean(entry.owner, false)}`;
}

/**
 * Whether `pg_restore --list` (no selection options, no --create) shows the entry: it leaves out the special
 * settings entries, the database itself and its properties, and entries with neither a definition nor data
 * (pg_backup_archiver.c, _tocEntryRequired).
 */
export function isListedByRestore(entry: TocEntry): boolean {
  if (SPECIAL.has(entry.desc) || DATABASE.has(entry.desc)) return false;
  if (PER_OBJECT.has(entry.desc) && entry.tag.startsWith('DATABASE ')) return false;
  if (entry.desc === '<Init>' && entry.tag === 'Max OID') return false;
  const largeObjectMeta = PER_OBJECT.has(entry.desc) && entry.tag.startsWith('LARGE OBJECT');
  // With data (a dumper, or a data-like entry), it is listed; otherwise only when it has a definition.
  if (entry.hadDumper || DATA_WITHOUT_DUMPER.has(entry.desc) || largeObjectMeta) return true;
  return entry.defn !== null && entry.defn !== '' && !entry.defn.startsWith('-- load via partition root ');
}
