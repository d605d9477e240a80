/** The bounds of an audit retention, the same as LOCKSTEP_AUDIT_RETENTION_DAYS': long enough for an audit, short enough to purge. */
export const AUDIT_RETENTION_DAYS = { min: 30, max: 3650 } as const;
