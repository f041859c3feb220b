using System.Text.Json;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Warehouse;
using Sluice.Postgres.Tests.Destinations;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Warehouse;

/// <summary>A fresh database and a warehouse destination on it, fed the way the ingest source feeds it.</summary>
internal sealed class WarehouseBed : IAsyncDisposable
{
    public const string Schema = "web";

    private static readonly SourceSchema IngestColumns = IngestTestEvents.Schema;

    private readonly List<IAsyncDisposable> _owned = [];

    private WarehouseBed(NpgsqlDataSource admin, string connectionString)
    {
        Admin = admin;
        ConnectionString = connectionString;
    }

    /// <summary>The database as its superuser, for setting up and checking.</summary>
    public NpgsqlDataSource Admin { get; }

    public string ConnectionString { get; }

    public WarehouseDestination Destination { get; private set; } = null!;

    public static async Task<WarehouseBed> CreateAsync(string purpose, TimeSpan? ddlLockTimeout = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(purpose);
        var bed = new WarehouseBed(NpgsqlDataSource.Create(connectionString), connectionString);
        bed.Destination = bed.CreateDestination(ddlLockTimeout: ddlLockTimeout);
        return bed;
    }

    /// <summary>Another destination on the same database (another process, or another user).</summary>
    public WarehouseDestination CreateDestination(string? user = null, TimeSpan? ddlLockTimeout = null, int? maxColumns = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        if (user is not null)
        {
            builder.Username = user;
        }

        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var connection = new PostgresConnectionOptions { Name = "wh", Database = builder.Database!, User = builder.Username!, Host = builder.Host!, Port = builder.Port };
        var options = new WarehouseDestinationOptions { Schema = Schema, DdlLockTimeout = ddlLockTimeout ?? TimeSpan.FromSeconds(5) };
        if (maxColumns is { } max)
        {
            options = new WarehouseDestinationOptions { Schema = Schema, DdlLockTimeout = options.DdlLockTimeout, MaxColumns = max };
        }

        var destination = new WarehouseDestination(dataSource, connection, options);
        _owned.Add(destination);
        _owned.Add(dataSource);
        return destination;
    }

    public static CompiledMapping Mapping(IDestination destination) =>
        CompiledMapping.Compile(MappingSpec.None(new ConfigLocation("sluice.yaml", 1, 1, "syncs.web")), IngestColumns, destination.Shape);

    /// <summary>Encodes and writes Segment events (JSON objects) as one batch.</summary>
    public Task<IReadOnlyList<WriteResult>> WriteAsync(params string[] events) => WriteAsync(Destination, events);

    public static async Task<IReadOnlyList<WriteResult>> WriteAsync(WarehouseDestination destination, params string[] events)
    {
        var mapping = Mapping(destination);
        var batch = events.Select(e => destination.Encode(Change(mapping, e), mapping)).ToList();
        return await destination.WriteAsync(batch, CancellationToken.None);
    }

    public static Change Change(CompiledMapping mapping, string payload, string kind = "segment")
    {
        string? type = null;
        try
        {
            using var json = JsonDocument.Parse(payload);
            type = json.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
            // A broken payload is a case under test.
        }

        var eventId = Guid.NewGuid();
        var row = new Dictionary<string, object?>
        {
            ["event_id"] = eventId,
            ["source"] = "web",
            ["kind"] = kind,
            ["type"] = type,
            ["event"] = null,
            ["received_at"] = DateTime.UtcNow,
            ["payload"] = payload,
        };
        return new Change(eventId.ToString(), ChangeOperation.Upsert, mapping.Columns.Select(c => row[c]).ToArray(), new Position())
        {
            Version = "1",
        };
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Admin.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Rows of a query, each column as text (NULL as null).</summary>
    public async Task<List<string?[]>> RowsAsync(string sql)
    {
        await using var command = Admin.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string?[]>();
        while (await reader.ReadAsync())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }

        return rows;
    }

    /// <summary>Table → (column → information_schema type) of the warehouse schema.</summary>
    public async Task<Dictionary<string, Dictionary<string, string>>> ColumnsAsync()
    {
        var columns = new Dictionary<string, Dictionary<string, string>>();
        foreach (var row in await RowsAsync($"SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = '{Schema}'"))
        {
            if (!columns.TryGetValue(row[0]!, out var table))
            {
                columns[row[0]!] = table = [];
            }

            table[row[1]!] = row[2]!;
        }

        return columns;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Admin.DisposeAsync();
    }

    private sealed class Position : SourcePosition
    {
        public override Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
