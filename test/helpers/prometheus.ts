import { createRequire } from "node:module";

/** One family as parse-prometheus-text-format reads it (the package ships no types). */
export interface ParsedFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => ParsedFamily[];

/** Parses Prometheus text with a third-party parser: what a scraper would read, not what we meant to write. */
export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  return new Map(parse(text).map((family) => [family.name, family]));
}

/** The value of one sample of a counter or gauge, found by its labels. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.get(name)?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

/**
 * One labelled series of a histogram, parsed: the parser reads only unlabelled histograms (it
 * merges labelled ones), so the series' lines are picked and their selecting labels dropped first.
 */
export function histogramSeries(text: string, name: string, labels: Record<string, string>): { buckets: Record<string, string>; count?: string; sum?: string } | undefined {
  const selector = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const lines = text.split("\n").flatMap((line) => {
    if (line === `# TYPE ${name} histogram` || line.startsWith(`# HELP ${name} `)) return [line];
    if (!/^(\w+)\{/.test(line) || ![`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(line.slice(0, line.indexOf("{")))) return [];
    if (!selector.every((pair) => line.includes(pair))) return [];
    const kept = selector.reduce((rest, pair) => rest.replace(new RegExp(`${pair.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")},?`), ""), line).replace(/,\}/, "}").replace("{}", "");
    return [kept];
  });
  const [family] = parse(lines.join("\n") + "\n");
  const series = family?.metrics[0];
  return series?.buckets ? { buckets: series.buckets, count: series.count, sum: series.sum } : undefined;
}
