// The Function's exports, one per target in shopify.extension.toml (`cart-validations-generate-run`).
export * from "./cart_validations_generate_run";
