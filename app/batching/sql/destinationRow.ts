import type { DestinationKind, DestinationMode, Receives } from "../types";

/** A `destination` row as the statements below return it (its credentials and secret still sealed). */
export interface DestinationRow {
  id: string;
  shop_id: string;
  name: string;
  kind: DestinationKind;
  endpoint: string;
  credentials_sealed: string | null;
  signing_secret_sealed: string;
  receives: Receives[];
  options: Record<string, unknown>;
  cadence: string;
  size_threshold: number | null;
  requests_per_second: number;
  concurrency: number;
  batch_size: number;
  mode: DestinationMode;
  variance_threshold: number;
  snapshot_retention_days: number;
  enabled: boolean;
  watermark: string;
  next_run_at: Date | null;
  requested_run: string | null;
}

/** The columns every destination statement returns, spelt for `DestinationRow`. */
export const COLUMNS = `id, shop_id, name, kind::text AS kind, endpoint, credentials_sealed, signing_secret_sealed, receives, options, cadence, size_threshold,
  requests_per_second, concurrency, batch_size, mode::text AS mode, variance_threshold, snapshot_retention_days, enabled, watermark::text AS watermark,
  next_run_at, requested_run`;

/** A destination's settings as the insert and the update write them (credentials and secret already sealed). */
export interface DestinationSettings {
  name: string;
  endpoint: string;
  credentialsSealed: string | null;
  signingSecretSealed: string | null;
  receives: Receives[];
  options: Record<string, unknown>;
  cadence: string;
  sizeThreshold: number | null;
  limits: { requestsPerSecond: number; concurrency: number; batchSize: number };
  mode: DestinationMode;
  varianceThreshold: number;
  snapshotRetentionDays: number;
  enabled: boolean;
}

/** The settings in the order of the statements' parameters $3 to $17. */
export function settingsParameters(settings: DestinationSettings): unknown[] {
  return [
    settings.name,
    settings.endpoint,
    settings.credentialsSealed,
    settings.signingSecretSealed,
    settings.receives,
    JSON.stringify(settings.options),
    settings.cadence,
    settings.sizeThreshold,
    settings.limits.requestsPerSecond,
    settings.limits.concurrency,
    settings.limits.batchSize,
    settings.mode,
    settings.varianceThreshold,
    settings.snapshotRetentionDays,
    settings.enabled,
  ];
}
