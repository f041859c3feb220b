-- Sluice state, version 12: an ingest event remembers the trace of the request that brought it. `trace_parent` is
-- the W3C traceparent of that request's span ('00-<trace id>-<span id>-<flags>'), written only while Sluice's spans
-- are exported (OTEL_EXPORTER_OTLP_ENDPOINT); NULL otherwise and for every row before this version. The span of the
-- batch that sends the event links to it. Adding a nullable column without a default rewrites nothing.
ALTER TABLE {schema}.ingest_queue ADD COLUMN trace_parent text;
