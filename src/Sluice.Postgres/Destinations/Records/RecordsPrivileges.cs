namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The row privileges a records export's role needs on its tables, by mode: what <c>sluice check</c> asks for and
/// <c>sluice grants --for records</c> prints, so the two never disagree.
/// </summary>
internal static class RecordsPrivileges
{
    /// <summary>
    /// On the records table. SELECT wherever a statement reads the table's columns: the upsert's <c>WHERE … IS DISTINCT
    /// FROM</c>, the key matches of <c>UPDATE … FROM</c> and <c>DELETE … USING</c>, and even append's <c>INSERT … ON
    /// CONFLICT (key) DO NOTHING</c>, whose conflict target PostgreSQL checks for SELECT (42501 without it).
    /// </summary>
    public static IReadOnlyList<string> OnTable(RecordsMode mode, bool softDelete) => mode switch
    {
        RecordsMode.Sync when softDelete => ["SELECT", "INSERT", "UPDATE"],
        RecordsMode.Sync => ["SELECT", "INSERT", "UPDATE", "DELETE"],
        RecordsMode.Additive => ["SELECT", "INSERT", "UPDATE"],
        RecordsMode.Enrich => ["SELECT", "UPDATE"],
        RecordsMode.Append => ["SELECT", "INSERT"],
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>On the groups table: memberships are inserted and deleted by difference, never updated.</summary>
    public static IReadOnlyList<string> OnGroupsTable { get; } = ["SELECT", "INSERT", "DELETE"];
}
