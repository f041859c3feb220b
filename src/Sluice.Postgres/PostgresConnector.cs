using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres;

/// <summary><c>type: postgres</c>: a PostgreSQL database as a source (table with a cursor).</summary>
public sealed class PostgresConnector : IConnector
{
    public string Type => "postgres";

    public async Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        var (options, dataSource) = Open(connection, resources);
        try
        {
            await using var open = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", open);
            await command.ExecuteScalarAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, options.Describe());
        }
    }

    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        var (options, dataSource) = Open(connection, resources);
        return new TableSource(dataSource, options, TableSourceOptions.Bind(sync.Source));
    }

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        throw new ConfigException(sync.Destination.LocationOf("connection"),
            $"connection '{connection.Name}' is PostgreSQL, which cannot be a sync destination yet",
            "send to a Segment connection (type: segment)");

    public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

    /// <summary>The connection's options and its shared, pooled data source.</summary>
    public static (PostgresConnectionOptions Options, NpgsqlDataSource DataSource) Open(ConnectionConfig connection, ConnectorResources resources)
    {
        var options = resources.GetOrCreate(connection.Name, () => PostgresConnectionOptions.Bind(connection));
        return (options, resources.GetOrCreate(connection.Name, options.CreateDataSource));
    }
}
