using Sluice.Core.Configuration;
using Sluice.Postgres.Destinations.Records;

namespace Sluice.Postgres.Security;

/// <summary>
/// Which database, schemas and tables <c>sluice grants</c> covers, taken from the config: the syncs that read
/// from, or write to, one postgres connection.
/// </summary>
/// <param name="connection">The connection named with <c>--connection</c>; null to pick the only one that fits.</param>
public sealed class GrantsPlan(SluiceConfig config, string? connection)
{
    public string Sql(GrantTarget target, string role) => target switch
    {
        GrantTarget.Warehouse => Warehouse(role),
        GrantTarget.Events => Events(role),
        GrantTarget.Source => Source(role),
        GrantTarget.State => State(role),
        GrantTarget.Records => Records(role),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, null),
    };

    private string Warehouse(string role)
    {
        var wh = Pick(GrantTarget.Warehouse, config.Syncs.Where(s => s.Destination.GetString("layout") == "warehouse").Select(s => s.DestinationConnection));
        return GrantsSql.Warehouse(role, Database(wh));
    }

    private string Events(string role)
    {
        var writers = config.Syncs.Where(s => s.Destination.Has("table") && s.Destination.GetString("layout") is null or "events").ToList();
        var wh = Pick(GrantTarget.Events, writers.Select(s => s.DestinationConnection));
        var tables = new List<EventsTableGrant>();
        foreach (var sync in writers.Where(s => s.DestinationConnection == wh.Name))
        {
            var (schema, table) = Split(sync.Destination.GetString("table")!, wh);
            tables.Add(new EventsTableGrant(sync.Name, schema, table, sync.Destination.GetBool("table_per_event_type") ?? false));
        }

        return tables.Count > 0
            ? GrantsSql.Events(role, Database(wh), tables)
            : throw new ConfigException(null, $"no sync in {config.FilePath} writes an events table to connection '{wh.Name}'",
                "add a sync with 'destination: {connection: " + wh.Name + ", table: public.events}', or use --for warehouse");
    }

    private string Records(string role)
    {
        var writers = config.Syncs.Where(s => s.Destination.Has("key") || s.Destination.GetString("layout") == "records").ToList();
        var wh = Pick(GrantTarget.Records, writers.Select(s => s.DestinationConnection));
        var tables = new List<RecordsTableGrant>();
        foreach (var sync in writers.Where(s => s.DestinationConnection == wh.Name && s.Destination.Has("table")))
        {
            var (schema, table) = Split(sync.Destination.GetString("table")!, wh);
            (string, string)? groups = sync.Destination.GetSection("groups")?.GetString("table") is { } groupsTable ? Split(groupsTable, wh) : null;
            var privileges = RecordsPrivileges.OnTable(RecordsDestinationOptions.ModeOf(sync.Destination), RecordsDestinationOptions.SoftDeleteOf(sync.Destination));
            tables.Add(new RecordsTableGrant(sync.Name, schema, table, privileges, groups?.Item1, groups?.Item2) { MarksOrigin = Core.Engine.TwoWay.TwoWayPairs.PairOf(config, sync) is not null });
        }

        return tables.Count > 0
            ? GrantsSql.Records(role, Database(wh), tables)
            : throw new ConfigException(null, $"no sync in {config.FilePath} exports records to connection '{wh.Name}'",
                "add a sync with 'destination: {connection: " + wh.Name + ", table: public.customers, key: id}'");
    }

    private string Source(string role)
    {
        var source = Pick(GrantTarget.Source, config.Syncs.Select(s => s.SourceConnection));
        var reads = new List<SourceReadGrant>();
        foreach (var sync in config.Syncs.Where(s => s.SourceConnection == source.Name))
        {
            var cdc = sync.Source.Has("cdc");
            var writeBack = WriteBackOf(sync, source);
            var marks = writeBack is not null && Core.Engine.TwoWay.TwoWayPairs.PairOf(config, sync) is not null;
            if (sync.Source.Has("query") || sync.Source.GetString("table") is not { } name)
            {
                reads.Add(new SourceReadGrant(sync.Name, null, null, cdc) { WriteBack = writeBack, MarksOrigin = marks });
                continue;
            }

            var (schema, table) = Split(name, source);
            reads.Add(new SourceReadGrant(sync.Name, schema, table, cdc) { WriteBack = writeBack, MarksOrigin = marks });
        }

        return reads.Count > 0
            ? GrantsSql.Source(role, Database(source), reads)
            : throw new ConfigException(null, $"no sync in {config.FilePath} reads from connection '{source.Name}'", "add a sync whose source is that connection");
    }

    /// <summary>Where the sync writes destination ids back (<c>write_back:</c>): its table (the source's unless named), key and column.</summary>
    private (string Schema, string Table, string? Key, string Column)? WriteBackOf(SyncConfig sync, ConnectionConfig source)
    {
        if (Core.Engine.WriteBack.WriteBackOptions.Bind(sync) is not { } options)
        {
            return null;
        }

        var target = WriteBack.WriteBackTarget.For(sync, options);
        var (schema, table) = Split(target.Table, source);
        return (schema, table, target.Key, target.Column);
    }

    private string State(string role)
    {
        // The config resolves the state connection once (named under state:, else the first postgres connection).
        var state = Named(connection ?? config.StateConnection?.Name)
            ?? throw new ConfigException(null, $"{config.FilePath} declares no postgres connection to keep Sluice's state in", "declare one under 'connections:'");
        return GrantsSql.State(role, Database(state), config.State.Schema);
    }

    /// <summary>The connection named on the command line, else the only postgres connection the syncs use this way, else the only one there is.</summary>
    private ConnectionConfig Pick(GrantTarget target, IEnumerable<string> used)
    {
        if (Named(connection) is { } named)
        {
            return named;
        }

        var candidates = used.Distinct(StringComparer.Ordinal).Select(config.FindConnection).Where(c => c?.Type == "postgres").Select(c => c!).ToList();
        if (candidates.Count == 0)
        {
            candidates = config.Connections.Where(c => c.Type == "postgres").ToList();
        }

        var role = target.ToString().ToLowerInvariant();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new ConfigException(null, $"{config.FilePath} declares no postgres connection for --for {role}", "declare one under 'connections:'"),
            _ => throw new ConfigException(null, $"several postgres connections fit --for {role}: {string.Join(", ", candidates.Select(c => c.Name))}", "name one with --connection"),
        };
    }

    private ConnectionConfig? Named(string? name)
    {
        if (name is null)
        {
            return null;
        }

        var found = config.FindConnection(name) ?? throw new ConfigException(null, $"no connection named '{name}' in {config.FilePath}",
            NameSuggestions.Closest(name, config.Connections.Select(c => c.Name)) is { } closest ? $"did you mean '{closest}'?" : "name one declared under 'connections:'");
        return found.Type == "postgres"
            ? found
            : throw new ConfigException(null, $"connection '{name}' is {found.Type}; grants are PostgreSQL's", "name a postgres connection");
    }

    private static string Database(ConnectionConfig connection) =>
        connection.Settings.RequireString("database", "name the database, e.g. 'database: app'");

    /// <summary><c>schema.table</c>, or a table in the connection's schema.</summary>
    private static (string Schema, string Table) Split(string name, ConnectionConfig connection)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0
            ? (name[..dot], name[(dot + 1)..])
            : (connection.Settings.GetString("schema") ?? "public", name);
    }
}
