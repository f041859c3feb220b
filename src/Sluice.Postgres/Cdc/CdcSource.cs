using System.Runtime.CompilerServices;
using Npgsql;
using Npgsql.Replication;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Follows tables through PostgreSQL's WAL (logical replication with <c>pgoutput</c>, through a publication and a
/// replication slot of the sync's own): inserts, updates and deletes become added, changed and deleted records, in
/// commit order, for ever. A new sync first copies the tables' rows from the slot's exported snapshot, so that the
/// copy and the stream neither miss nor double a change at the boundary.
/// </summary>
/// <remarks>
/// Exactly-once effect: each streamed change's position is (commit LSN, index in its transaction), which is also its
/// <see cref="Change.Version"/>, so its message id is the same whenever it is streamed again. The slot is confirmed
/// to PostgreSQL (<see cref="CommittedAsync"/>) only up to the end of transactions whose every change the engine has
/// committed with its send ledger; after a crash the slot streams again from there, and changes at or before the
/// stored checkpoint are skipped.
/// </remarks>
internal sealed partial class CdcSource : ISource
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly PostgresCallContext _calls;
    private readonly CdcSourceOptions _options;
    private readonly TimeProvider _time;
    private IReadOnlyList<CdcTable>? _tables;

    // Set by the reading loop while it streams; read by the engine's committer (CommittedAsync).
    private volatile LogicalReplicationConnection? _streaming;
    private volatile CdcConfirmations? _confirmations;

    // Held while a status update is sent, and by the reading loop while it stops streaming: Npgsql's status update is
    // not safe against the replication ending under it (it throws NullReferenceException once the stream's feedback
    // timer is gone), so the stream ends only after any update in flight, and no update starts after it ended.
    private readonly SemaphoreSlim _confirming = new(1, 1);

    // The last checkpoint the engine committed, also during the copy: the copy's last row may be committed before
    // streaming (and its confirmations) begins.
    private volatile CdcPosition? _committed;

    public CdcSource(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, CdcSourceOptions options, TimeProvider time)
    {
        _dataSource = dataSource;
        _connection = connection;
        _calls = CdcErrors.Context(options, connection);
        _options = options;
        _time = time;
    }

    /// <summary>
    /// For a model over the stream: the columns of each followed table whose texts every change carries, new in
    /// <see cref="Change.Watched"/> and old (from the replica identity) in <see cref="Change.Previous"/>, instead of the
    /// request's watched columns. <c>null</c>: the request's, for every table.
    /// </summary>
    internal Func<CdcTable, IReadOnlyList<string>>? WatchedOf { get; init; }

    /// <summary>
    /// For a model over the stream: what a slot created with an exported snapshot reads in that snapshot instead of a copy
    /// of the tables' rows, given the snapshot's name and the position where the stream takes over; it ends with a
    /// <see cref="Change.Progress"/> to that position. <c>null</c>: the copy.
    /// </summary>
    internal Func<string, CdcPosition, CancellationToken, IAsyncEnumerable<Change>>? InitialRead { get; init; }

    public string Description => $"cdc of {string.Join(", ", _options.Tables)} (slot {_options.Slot})";

    public ChangeKinds Detects => ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted;

    public bool Streams => true;

    public async Task CheckAsync(CancellationToken ct)
    {
        await PreflightAsync(ct);
        var tables = await ResolveAsync(ct);
        RequireOldRows(tables, _options.Watched);
        if (_options.PublicationNamed)
        {
            await using var connection = await OpenAsync(ct);
            await PostgresCall.RunAsync(_calls, () => CheckPublicationAsync(connection, tables, ct));
        }
    }

    public async Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct)
    {
        var advice = new List<string>(await CdcPreflight.AdviseAsync(_dataSource, _options.Tables, _options.Watched, ct));
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT has_function_privilege('pg_logical_emit_message(boolean, text, text)', 'execute')", connection);
        if (await PostgresCall.RunAsync(_calls, () => command.ExecuteScalarAsync(ct)) is false)
        {
            advice.Add($"{Description}: the role cannot write heartbeats, so on a database with no other traffic the slot holds WAL until a followed table changes; " +
                $"run: GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO {SqlNames.Quote(_connection.User)};");
        }

        return advice;
    }

    /// <summary>The columns every followed table has (in the first table's order), keyed by the first table's key.</summary>
    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct)
    {
        var tables = await ResolveAsync(ct);
        var columns = tables[0].Columns.Where(c => tables.All(t => t.Find(c.Name) is not null)).ToList();
        return new SourceSchema(string.Join(", ", tables), columns, tables[0].Key);
    }

    /// <summary>Unknown: a stream has no end to count to.</summary>
    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        await PreflightAsync(ct);
        var tables = await ResolveAsync(ct);
        RequireOldRows(tables, request.Watched);
        var from = request.From is { } checkpoint ? CdcPosition.Parse(checkpoint, Description) : null;
        await EnsurePublicationAsync(tables, ct);

        var replication = await OpenReplicationAsync(ct);
        try
        {
            var start = await PrepareSlotAsync(replication, from, ct);
            var handed = from;
            if (start.SnapshotName is { } snapshot)
            {
                handed = CdcPosition.Streamed(start.Confirmed, 0);
                var initial = InitialRead is { } read ? read(snapshot, handed, ct) : CopyAsync(tables, request, snapshot, handed, ct);
                await foreach (var change in initial)
                {
                    yield return change;
                }
            }

            await foreach (var change in StreamAsync(replication, start, tables, request, from, handed, ct))
            {
                yield return change;
            }
        }
        finally
        {
            _streaming = null;
            _confirmations = null;
            await replication.DisposeAsync();
        }
    }

    /// <summary>Confirms to PostgreSQL the end of every transaction the checkpoint covers entirely (never more).</summary>
    public async ValueTask CommittedAsync(Checkpoint checkpoint, CancellationToken ct)
    {
        var position = CdcPosition.Parse(checkpoint, Description);
        _committed = position;
        if (position.Copying || _confirmations is not { } confirmations || _streaming is not { } replication)
        {
            return;
        }

        await ConfirmAsync(replication, () => confirmations.Committed(position), ct);
        await ConfirmAsync(replication, () => confirmations.Idle(() => replication.LastReceivedLsn), ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// A transition compares a column's old and new values, and PostgreSQL logs the old row only with
    /// REPLICA IDENTITY FULL (or the old key, when the column is part of it).
    /// </summary>
    private void RequireOldRows(IReadOnlyList<CdcTable> tables, IReadOnlyList<string> watched)
    {
        foreach (var table in tables)
        {
            var missing = watched.FirstOrDefault(c => !table.IdentityKey.Contains(c));
            if (missing is not null)
            {
                throw new ConfigException(_options.Config?.LocationOf(_options.Tables.Count > 1 ? "tables" : "table"),
                    $"a transition on '{missing}' needs the value it moved from, but PostgreSQL logs only the key of an updated row of {table} (REPLICA IDENTITY {IdentityName(table.Identity)})",
                    $"run: {table.IdentityFullSql}");
            }
        }
    }

    /// <summary>wal_level, REPLICATION, a free slot: the server's prerequisites, each with its fix, before anything is created.</summary>
    private Task PreflightAsync(CancellationToken ct) =>
        CdcPreflight.CheckAsync(_dataSource, _options.Tables, _options.Slot, _options.PublicationNamed ? null : _options.Publication, ct);

    private static string IdentityName(char identity) => identity switch
    {
        'd' => "DEFAULT",
        'i' => "USING INDEX",
        'f' => "FULL",
        _ => "NOTHING",
    };

    /// <summary>The followed tables as the catalog describes them (found once).</summary>
    internal async Task<IReadOnlyList<CdcTable>> ResolveAsync(CancellationToken ct)
    {
        if (_tables is not null)
        {
            return _tables;
        }

        await using var connection = await OpenAsync(ct);
        var tables = new List<CdcTable>();
        foreach (var name in _options.Tables)
        {
            var location = _options.Config?.LocationOf(_options.Tables.Count > 1 ? "tables" : "table");
            tables.Add(await PostgresCall.RunAsync(_calls, () => CdcCatalog.TableAsync(connection, name, _connection.Schema, location, ct)));
        }

        _tables = tables;
        return tables;
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => PostgresCall.RunAsync(_calls, () => _dataSource.OpenConnectionAsync(ct).AsTask());
}
