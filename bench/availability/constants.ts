export const BENCH_TOKEN = "lst_availability-bench-token-0123456789";
export const BENCH_SKUS = Array.from({ length: 10 }, (_, i) => `HOT-${i}`);
