using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Sluice's slots and publications that no sync of the config claims, in every PostgreSQL database the config connects
/// to (a removed sync's database may be used by no other CDC sync): what <c>sluice status</c> warns about and
/// <c>sluice prune</c> drops.
/// </summary>
public static class CdcOrphans
{
    /// <summary>Every slot and publication name a sync of the config uses: never an orphan, whatever its name.</summary>
    public static IReadOnlySet<string> InUse(SluiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Syncs.Select(SlotHealthOptions.For).OfType<SlotHealthOptions>()
            .SelectMany(o => new[] { o.Slot, o.Publication }).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The orphans; a database that cannot be reached is a problem line, not a failure.</summary>
    public static async Task<(IReadOnlyList<OrphanedCdcObject> Orphans, IReadOnlyList<string> Problems)> FindAsync(
        SluiceConfig config, ConnectorResources resources, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(resources);
        var orphans = new List<OrphanedCdcObject>();
        var problems = new List<string>();
        var inUse = InUse(config);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var connection in config.Connections.Where(c => c.Type == PostgresConnector.ConnectorType))
        {
            var dataSource = PostgresConnector.Open(connection, resources).DataSource;
            var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            if (!seen.Add($"{builder.Host}:{builder.Port}/{builder.Database}"))
            {
                continue; // two names for one database
            }

            try
            {
                orphans.AddRange((await SlotPruner.FindOrphansAsync(dataSource, inUse, ct)).Select(o => new OrphanedCdcObject(connection.Name, o)));
            }
            catch (SluiceException e)
            {
                problems.Add($"connection '{connection.Name}': {e.Message}");
            }
        }

        return (orphans, problems);
    }

    /// <summary>Drops one orphan found by <see cref="FindAsync"/>.</summary>
    public static Task<SlotPruner.PruneOutcome> DropAsync(SluiceConfig config, OrphanedCdcObject orphan, bool force, ConnectorResources resources, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(orphan);
        var connection = config.FindConnection(orphan.Connection) ?? throw new ConfigException(null, $"no connection named '{orphan.Connection}' in {config.FilePath}");
        return SlotPruner.DropAsync(PostgresConnector.Open(connection, resources).DataSource, orphan.Orphan, force, ct);
    }
}
