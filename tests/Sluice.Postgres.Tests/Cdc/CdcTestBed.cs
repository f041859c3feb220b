using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>
/// A database of its own with the slots its CDC sources create dropped at the end (a slot holds WAL for ever),
/// and helpers to read a never-ending <see cref="CdcSource"/> a few changes at a time.
/// </summary>
internal sealed class CdcTestBed : IAsyncDisposable
{
    private CdcTestBed(NpgsqlDataSource db, PostgresConnectionOptions connection)
    {
        Db = db;
        Connection = connection;
    }

    public NpgsqlDataSource Db { get; }

    public PostgresConnectionOptions Connection { get; }

    public static async Task<CdcTestBed> CreateAsync(string purpose, string setupSql)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(purpose);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var bed = new CdcTestBed(NpgsqlDataSource.Create(connectionString), new PostgresConnectionOptions
        {
            Name = "app",
            Host = builder.Host!,
            Port = builder.Port,
            Database = builder.Database!,
            User = builder.Username!,
        });
        await bed.ExecuteAsync(setupSql);
        return bed;
    }

    /// <summary>A source for sync <paramref name="sync"/> from a <c>source:</c> section in YAML.</summary>
    public CdcSource Source(string sync, string sourceYaml, string? destinationYaml = null, TimeSpan? heartbeat = null)
    {
        var section = ConfigSection.Parse($"source:\n{Indent(sourceYaml)}\ndestination:\n{Indent(destinationYaml ?? "connection: out")}\n");
        var config = new SyncConfig(sync, "app", "out", section.GetSection("source")!, section.GetSection("destination")!,
            MappingSpec(), null, section, section.Location);
        var options = CdcSourceOptions.Bind(config);
        if (heartbeat is { } beat)
        {
            options = new CdcSourceOptions
            {
                Tables = options.Tables,
                Start = options.Start,
                Slot = options.Slot,
                SlotNamed = options.SlotNamed,
                Publication = options.Publication,
                PublicationNamed = options.PublicationNamed,
                Watched = options.Watched,
                Heartbeat = beat,
            };
        }

        return new CdcSource(Db, Connection, options, TimeProvider.System);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The slot's confirmed position; null when it does not exist.</summary>
    public async Task<NpgsqlLogSequenceNumber?> ConfirmedAsync(string slot)
    {
        await using var command = Db.CreateCommand("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        return await command.ExecuteScalarAsync() is NpgsqlLogSequenceNumber lsn ? lsn : null;
    }

    /// <summary>Waits until the source has created its slot: changes committed from then on are streamed.</summary>
    public Task EventuallyReadyAsync(string slot) => EventuallyAsync(async () => await ConfirmedAsync(slot) is not null, $"slot {slot} created");

    /// <summary>Polls until <paramref name="condition"/> holds; fails after 30 s (a safety net, not a timing assertion).</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what) =>
        Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(30));

    /// <remarks>
    /// Runs as an <c>await using</c> clean-up, also after a failed test, where an error of its own would replace the
    /// test's: a slot it cannot drop is left to the throwaway cluster, which is deleted with the test process.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReplicationSlots.DropAllAsync(Db);
        }
        catch (Exception)
        {
            // See remarks: never hide why the test failed.
        }

        await Db.DisposeAsync();
    }

    private static Sluice.Core.Mapping.MappingSpec MappingSpec() => Sluice.Core.Mapping.MappingSpec.None(new ConfigLocation("test.yaml", 1, 1, "syncs.s"));

    private static string Indent(string yaml) => string.Join('\n', yaml.Split('\n').Select(l => "  " + l));
}

/// <summary>Reads a source in the background, one change at a time (the copy or the stream waits until the test takes the next).</summary>
internal sealed class StreamProbe : IAsyncDisposable
{
    private readonly Channel<Change> _changes = Channel.CreateBounded<Change>(1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public StreamProbe(ISource source, IReadOnlyList<string> columns, Checkpoint? from = null, IReadOnlyList<string>? watched = null)
    {
        Source = source;
        var request = new ReadRequest(columns, from) { Watched = watched ?? [] };
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in source.ReadAsync(request, _stop.Token))
                {
                    await _changes.Writer.WriteAsync(change, _stop.Token);
                }

                _changes.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _changes.Writer.TryComplete(e);
            }
        });
    }

    public ISource Source { get; }

    public async Task<Change> NextAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _changes.Reader.ReadAsync(limit.Token);
    }

    public async Task<List<Change>> TakeAsync(int count)
    {
        var taken = new List<Change>(count);
        for (var i = 0; i < count; i++)
        {
            taken.Add(await NextAsync());
        }

        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
