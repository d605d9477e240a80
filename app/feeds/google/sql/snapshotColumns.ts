/** A snapshot row as `findRunSnapshot` and `findSnapshotBeforeRun` read it (sizes as text: bigint). */
export interface SnapshotRow {
  id: string;
  run_id: string;
  items: number;
  ready_at: Date | null;
  xml_bytes: string;
  xml_sha256: string | null;
  tsv_bytes: string;
  tsv_sha256: string | null;
}

/** The columns of a `SnapshotRow`, shared by the statements that read one. */
export const SNAPSHOT_COLUMNS = `id::text AS id, run_id::text AS run_id, items, ready_at, xml_bytes::text AS xml_bytes, xml_sha256, tsv_bytes::text AS tsv_bytes, tsv_sha256`;
