import type { MetricPoint, MetricsSink } from '../../shared/runtime/observability.ts';

interface Series {
  name: string;
  unit: MetricPoint['unit'];
  dimensions: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * The embedded default's CloudWatch: every function's metrics, kept in memory and served by the
 * local API at `/_local/metrics` (in Lambda the same points go out as embedded metric format).
 */
export class MetricsRecorder implements MetricsSink {
  private readonly series = new Map<string, Series>();

  put(point: MetricPoint): void {
    const key = `${point.name}|${Object.entries(point.dimensions).sort().map(([k, v]) => `${k}=${v}`).join(',')}`;
    const s = this.series.get(key);
    if (!s) {
      this.series.set(key, { name: point.name, unit: point.unit, dimensions: { ...point.dimensions }, count: 1, sum: point.value, min: point.value, max: point.value });
      return;
    }
    s.count += 1;
    s.sum += point.value;
    s.min = Math.min(s.min, point.value);
    s.max = Math.max(s.max, point.value);
  }

  flush(): void {}

  snapshot() {
    return {
      metrics: [...this.series.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => ({ ...s, ...(s.unit === 'Milliseconds' ? { average: Math.round((s.sum / s.count) * 10) / 10 } : {}) })),
    };
  }
}
