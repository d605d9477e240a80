// Prometheus' text exposition format (version 0.0.4), written by hand: a handful of families,
// no client library needed.

export type Labels = Record<string, string | number>;

export interface HistogramSample {
  labels?: Labels;
  /** Cumulative counts by upper bound, in the unit of the metric (seconds for durations). */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

function formatLabels(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {}).map(([key, value]) => [key, String(value)] as [string, string]);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([key, value]) => `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

export class PrometheusText {
  private readonly lines: string[] = [];

  private family(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\n/g, " ")}`, `# TYPE ${name} ${type}`);
  }

  counter(name: string, help: string, samples: { labels?: Labels; value: number }[]): this {
    this.family(name, "counter", help);
    for (const sample of samples) this.lines.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    return this;
  }

  gauge(name: string, help: string, samples: { labels?: Labels; value: number }[]): this {
    this.family(name, "gauge", help);
    for (const sample of samples) this.lines.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    return this;
  }

  histogram(name: string, help: string, samples: HistogramSample[]): this {
    this.family(name, "histogram", help);
    for (const sample of samples) {
      let sawInfinity = false;
      for (const bucket of sample.buckets) {
        sawInfinity ||= bucket.le === Infinity;
        this.lines.push(`${name}_bucket${formatLabels(sample.labels, ["le", formatValue(bucket.le)])} ${bucket.count}`);
      }
      if (!sawInfinity) this.lines.push(`${name}_bucket${formatLabels(sample.labels, ["le", "+Inf"])} ${sample.count}`);
      this.lines.push(`${name}_sum${formatLabels(sample.labels)} ${formatValue(sample.sum)}`, `${name}_count${formatLabels(sample.labels)} ${sample.count}`);
    }
    return this;
  }

  toString(): string {
    return this.lines.join("\n") + "\n";
  }
}
