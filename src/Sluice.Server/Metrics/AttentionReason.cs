namespace Sluice.Server.Metrics;

/// <summary>One reason a sync needs attention, as <c>sluice status</c>, <c>/metrics</c> and the dashboard give it.</summary>
/// <param name="Kind">What kind of trouble, stable for scripts: <c>problem</c>, <c>slot</c>, <c>failed</c>, <c>max_rejected</c>, <c>dead_letters_added</c>, <c>dead_letters</c>, <c>events_lost</c>, <c>ingest_backlog</c>, <c>ingest_backlog_age</c>, <c>cursor_age</c>.</param>
/// <param name="Text">What to tell the operator (the run's error, the number over which threshold).</param>
public sealed record AttentionReason(string Kind, string Text);
