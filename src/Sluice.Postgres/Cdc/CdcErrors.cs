using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Cdc;

/// <summary>Replication failures as one-line errors with their fix; everything else as <see cref="PostgresCall"/> says.</summary>
internal static class CdcErrors
{
    /// <summary>What a CDC source's calls go through: its connection, with what only replication knows about.</summary>
    public static PostgresCallContext Context(CdcSourceOptions options, PostgresConnectionOptions connection)
    {
        var what = connection.Describe();
        return PostgresCallContext.Connection(what) with { Specific = pg => Replication(pg, what, options, connection) };
    }

    private static SluiceException? Replication(PostgresException pg, string what, CdcSourceOptions options, PostgresConnectionOptions connection) => pg.SqlState switch
    {
        // "replication slot … is active for PID …"
        "55006" => SluiceException.Transient($"{what}: {pg.MessageText}; another process streams from slot '{options.Slot}' (a sluice process still exiting, or another client); will retry", pg),
        "42704" when pg.MessageText.Contains("replication slot", StringComparison.Ordinal) =>
            SluiceException.Fatal($"{what}: {pg.MessageText}; the changes since the last checkpoint are gone with it: run `sluice sync --full` to copy the tables again and follow them from there", pg),
        "53400" => SluiceException.Fatal($"{what}: {pg.MessageText}; drop slots nothing uses (`sluice prune`), or raise max_replication_slots and restart PostgreSQL", pg),
        "55000" when pg.MessageText.Contains("wal_level", StringComparison.Ordinal) =>
            SluiceException.Fatal($"{what}: {pg.MessageText}; run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL", pg),
        "42501" when pg.MessageText.Contains("replication", StringComparison.OrdinalIgnoreCase) =>
            SluiceException.Fatal($"{what}: {pg.MessageText}; give the sync's role the REPLICATION attribute: ALTER ROLE {SqlNames.Quote(connection.User)} REPLICATION;", pg),
        _ => null,
    };
}
