/** Shared by the benchmark client and its servers. */
export const BENCH_SECRET = "bench-secret-0123456789";
export const BENCH_SHOP = "bench.myshopify.com";
