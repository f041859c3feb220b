namespace Sluice.Testing.Fuzz;

/// <summary>What an <see cref="IngestLandingCheck"/> found: broken promises, and how each event ended.</summary>
public sealed record IngestLandingReport(
    IReadOnlyList<string> Violations,
    int Queued,
    int LandedInEventsTable,
    int DeadLetteredFromEventsTable,
    int LandedInWarehouse,
    int DeadLetteredFromWarehouse)
{
    public bool Holds => Violations.Count == 0;

    public override string ToString() =>
        $"{Queued} queued; events table: {LandedInEventsTable} landed, {DeadLetteredFromEventsTable} dead-lettered; " +
        $"warehouse: {LandedInWarehouse} landed, {DeadLetteredFromWarehouse} dead-lettered; {Violations.Count} violations";
}
