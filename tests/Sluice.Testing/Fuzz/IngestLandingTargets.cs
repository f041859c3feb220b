namespace Sluice.Testing.Fuzz;

/// <summary>Where one ingest source's events are queued and land: the names an <see cref="IngestLandingCheck"/> reads.</summary>
public sealed record IngestLandingTargets(
    string Source,
    string EventsTable,
    string EventsSync,
    string WarehouseSchema,
    string WarehouseSync,
    string StateSchema = "sluice");
