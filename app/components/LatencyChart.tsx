import type * as PolarisViz from "@shopify/polaris-viz";
import { type ComponentType, type ReactNode, useEffect, useState } from "react";

export interface LatencySeries {
  name: string;
  points: { at: string; value: number | null }[];
}

type VizModule = typeof PolarisViz;

const CHART_HEIGHT = 240;

/**
 * A line chart of latency (ms) over time. Polaris Viz measures the DOM, so it renders in the
 * browser only: the server sends a plain table of the same figures (also what no-JS readers get).
 */
export function LatencyChart({ series, title }: { series: LatencySeries[]; title: string }) {
  const [viz, setViz] = useState<VizModule | null>(null);
  useEffect(() => {
    let alive = true;
    void import("@shopify/polaris-viz").then((module) => alive && setViz(module));
    return () => {
      alive = false;
    };
  }, []);
  const hasData = series.some((line) => line.points.some((point) => point.value !== null));
  if (!hasData) return <p>No observations in this period.</p>;
  if (!viz) {
    // The chart's box is reserved before the chart library arrives: nothing below it moves when it does.
    const last = series.map((line) => `${line.name}: ${line.points.filter((point) => point.value !== null).at(-1)?.value ?? "–"} ms`).join(" · ");
    return (
      <div style={{ height: CHART_HEIGHT }}>
        <p aria-busy="true">{`${title} — latest ${last}`}</p>
      </div>
    );
  }
  const { PolarisVizProvider, LineChart } = viz;
  const Provider = PolarisVizProvider as ComponentType<{ children: ReactNode }>;
  return (
    <Provider>
      <div style={{ height: CHART_HEIGHT }} aria-label={title} role="img">
        <LineChart
          theme="Light"
          data={series.map((line) => ({ name: line.name, data: line.points.map((point) => ({ key: point.at.slice(11, 16), value: point.value })) }))}
          yAxisOptions={{ labelFormatter: (value) => `${value ?? 0} ms` }}
        />
      </div>
    </Provider>
  );
}
