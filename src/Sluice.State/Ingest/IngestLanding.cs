namespace Sluice.State.Ingest;

/// <summary>Where an accepted event stands for one sync: <c>waiting</c> (not read yet), <c>sent</c>, <c>dead-lettered</c> or <c>quarantined</c> (with why).</summary>
public sealed record IngestLanding(string Sync, string Status, string? Detail);
