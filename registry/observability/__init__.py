"""What an operator sees of a replica: Prometheus metrics, OpenTelemetry traces, structured logs."""
