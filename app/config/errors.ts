// The Remix build carries its own copy of the app's modules: a brand (not the class identity)
// makes `instanceof LockstepError` true for errors thrown by either copy.
const BRAND = Symbol.for("lockstep.LockstepError");

/**
 * Every error code Lockstep answers with, and the one HTTP status each maps to. A new failure
 * reuses a code when its meaning (and status) is the same; else it adds one here.
 */
export const ERROR_STATUS = {
  // 400: the request is wrong
  bad_host: 400,
  bad_request_target: 400,
  destination_kind_unavailable: 400,
  price_empty_range: 400,
  price_negative: 400,
  invalid_at: 400,
  invalid_list: 400,
  invalid_price_list: 400,
  missing_sku: 400,
  unknown_skus: 400,
  invalid_window: 400,
  invalid_percent: 400,
  invalid_items: 400,
  invalid_name: 400,
  missing_column: 400,
  empty_import: 400,
  invalid_csv: 400,
  invalid_valid_to: 400,
  invalid_valid_from: 400,
  invalid_currency: 400,
  invalid_amount: 400,
  feed_message_too_large: 400,
  hold_too_long: 400,
  invalid_context: 400,
  invalid_credentials: 400,
  invalid_cursor: 400,
  invalid_customer: 400,
  invalid_destination: 400,
  invalid_endpoint: 400,
  invalid_filter: 400,
  invalid_input: 400,
  invalid_json: 400,
  invalid_key: 400,
  invalid_limit: 400,
  invalid_lines: 400,
  invalid_location: 400,
  invalid_options: 400,
  invalid_payload: 400,
  invalid_run_request: 400,
  invalid_setting: 400,
  invalid_shop_domain: 400,
  invalid_slo_policy: 400,
  invalid_audit_retention: 400,
  invalid_text: 400,
  invalid_ttl: 400,
  location_required: 400,
  missing_headers: 400,
  missing_parameter: 400,
  missing_requester: 400,
  quantity_cap: 400,
  quantity_out_of_range: 400,
  shopper_required: 400,
  stock_share_cap: 400,
  too_many_skus: 400,
  weak_api_token: 400,
  // 401: who is asking cannot be verified
  invalid_signature: 401,
  invalid_token: 401,
  missing_token: 401,
  stale_request: 401,
  token_already_used: 401,
  // 404: what the request names does not exist
  destination_not_found: 404,
  not_found: 404,
  order_not_found: 404,
  reservation_not_found: 404,
  run_not_found: 404,
  shop_uninstalled: 404,
  unknown_location: 404,
  unknown_sale: 404,
  unknown_shop: 404,
  unknown_sku: 404,
  // 405
  method_not_allowed: 405,
  // 409: the state does not allow it now
  no_price_at_start: 409,
  price_overlap: 409,
  sale_cancelled: 409,
  sale_started: 409,
  store_unreachable: 409,
  backfill_running: 409,
  backfill_taken_over: 409,
  destination_exists: 409,
  insufficient_stock: 409,
  no_access_token: 409,
  reservation_not_active: 409,
  uninstall_unconfirmed: 409,
  // 413
  body_too_large: 413,
  import_too_large: 413,
  // 422: a stored payload that can never be processed (a dead letter, not retried), or a file refused row by row
  import_refused: 422,
  invalid_row: 422,
  unknown_topic: 422,
  unusable_payload: 422,
  // 429: too many requests: retry after the time given
  rate_limited: 429,
  shopper_rate_limited: 429,
  // 499: the caller went away
  request_abandoned: 499,
  request_aborted: 499,
  // 500: Lockstep's own fault
  credential_unreadable: 500,
  not_embedded: 500,
  transaction_closed: 500,
  // 502: a platform or destination answered wrongly
  bulk_operation_failed: 502,
  bulk_operation_missing: 502,
  bulk_operation_rejected: 502,
  bulk_result_unexpected: 502,
  bulk_result_unreadable: 502,
  checksum_mismatch: 502,
  hooks_not_registered: 502,
  store_refused_price: 502,
  webhook_subscription_failed: 502,
  oauth_exchange_failed: 502,
  outbound_rejected: 502,
  // 503: a dependency is down or busy: retry
  bigcommerce_not_configured: 503,
  bigcommerce_reader_missing: 503,
  circuit_open: 503,
  database_timeout: 503,
  database_unavailable: 503,
  inbox_busy: 503,
  inbox_unavailable: 503,
  outbound_throttled: 503,
  outbound_unavailable: 503,
  platform_unreachable: 503,
  reservations_busy: 503,
  sftp_connection_lost: 503,
  sftp_unavailable: 503,
  storefront_unavailable: 503,
  // 504: a platform took too long
  bulk_operation_timeout: 504,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type of Lockstep: a machine code, a human message, the HTTP status its code maps to. */
export class LockstepError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && BRAND in value;
  }

  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "LockstepError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The JSON body every error answer carries: `{error: {code, message, ...details}}`. */
export function errorBody(error: LockstepError): { error: Record<string, unknown> } {
  return { error: { code: error.code, message: error.message, ...error.details } };
}

/** One line for a failure kept with a row or a log: `code: message` for Lockstep's own errors. */
export function describeError(error: unknown): string {
  if (error instanceof LockstepError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
