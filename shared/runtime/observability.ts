import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const METRICS_NAMESPACE = 'SecretRotationControlPlane';

/** One metric data point: a name, a unit, a value, and the dimensions it is counted by. */
export interface MetricPoint {
  name: string;
  unit: 'Count' | 'Milliseconds';
  value: number;
  dimensions: Record<string, string>;
}

/**
 * Where a function's metrics go. In Lambda: Powertools Metrics, as CloudWatch embedded metric format
 * on stdout. In the embedded default: a recorder the local API serves at `/_local/metrics`.
 */
export interface MetricsSink {
  put(point: MetricPoint): void;
  /** Called once per invocation, after the handler. */
  flush(): void;
}

export interface Observability {
  logger: Logger;
  tracer: Tracer;
  metrics: MetricsSink;
}

/** Powertools Metrics: each point with its own dimensions, flushed at the end of an invocation. */
export function powertoolsMetrics(serviceName: string): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    put({ name, unit, value, dimensions }) {
      const single = metrics.singleMetric();
      single.addDimensions(dimensions);
      single.addMetric(name, unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, value);
    },
    flush: () => undefined,
  };
}

/**
 * Logger, Tracer and metrics for one function. Tracer switches itself off outside Lambda; SDK
 * clients are captured through `tracer.captureAWSv3Client` by the client factory.
 */
export function observability(serviceName: string, metrics: MetricsSink = powertoolsMetrics(serviceName)): Observability {
  return {
    logger: new Logger({ serviceName }),
    tracer: new Tracer({ serviceName }),
    metrics,
  };
}
