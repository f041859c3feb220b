using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// A model whose tables are followed by logical replication (<c>model:</c> with <c>cdc:</c>): every insert, update and
/// delete of the primary table or a secondary table names the records it changes — the primary row's key, a secondary
/// row's foreign key before and after (an order moved from customer 1 to 2 changes both) — and only those are
/// recomputed, a batch of keys per statement, and diffed by the engine against the fingerprints it stored.
/// </summary>
/// <remarks>
/// <para>
/// The stream is <see cref="CdcSource"/>'s (slot, publication, pgoutput, positions confirmed only after the commit). A
/// new slot exports a snapshot, in which the whole model is read once (the engine diffs it as a read of every record);
/// the stream takes over at the slot's consistent point.
/// </para>
/// <para>
/// Positions: each recomputed record carries the position before the changes that named it, and a progress mark after
/// them carries the last change's. So a checkpoint is never ahead of a record not yet committed: after a crash the slot
/// streams those changes again, their records are recomputed, and those already written come out of the engine's diff
/// unchanged — exactly-once results. A deleted row's record is found from the old row PostgreSQL logs, which must hold
/// the foreign key: REPLICA IDENTITY FULL (or an identity index that has it), checked before anything is read.
/// </para>
/// </remarks>
internal sealed class ModelCdcSource : ISource
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly PostgresCallContext _calls;
    private readonly ModelSourceOptions _options;
    private readonly CdcSourceOptions _cdc;
    private readonly TimeProvider _time;
    private readonly ModelSource _model;
    private CdcSource? _stream;

    // The record columns of the read under way, for the snapshot's read of every record (which the stream starts).
    private WholeRead? _whole;

    public ModelCdcSource(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, ModelSourceOptions options, TimeProvider time)
    {
        _dataSource = dataSource;
        _connection = connection;
        _calls = PostgresCallContext.Connection(connection.Describe());
        _options = options;
        _cdc = options.Cdc ?? throw new ArgumentException("the model does not follow its tables by cdc", nameof(options));
        _time = time;
        _model = new ModelSource(dataSource, connection, options, time);
        Diff = new SourceDiff(KeyOrder.Sorted, _ => CdcPosition.Copy)
        {
            // The snapshot's read of every record comes first (no checkpoint, or a copy that did not end); then only the
            // records changes name, compared a chunk at a time, and never a delete for a record not read.
            IsPartial = request => request.From is { } from && !CdcPosition.Parse(from, Description).Copying,
        };
    }

    public string Description => $"model {_options.Table} ({_options.Properties.Count} properties, by cdc, slot {_cdc.Slot})";

    public SourceDiff Diff { get; }

    public bool Streams => true;

    /// <summary>The keys each recompute statement of this process was given, for tests: which records were recomputed.</summary>
    internal List<string> RecomputedKeys { get; } = [];

    public async Task CheckAsync(CancellationToken ct)
    {
        await _model.CheckAsync(ct);
        var stream = await StreamAsync(ct);
        await stream.CheckAsync(ct);
        await RequireOldKeysAsync(ct);
    }

    public async Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct) => await (await StreamAsync(ct)).AdviseAsync(ct);

    /// <summary>The model's key and properties; also where `sluice check` learns that a table's old rows lack a key column.</summary>
    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct)
    {
        var schema = await _model.DiscoverAsync(ct);
        await RequireOldKeysAsync(ct);
        return schema;
    }

    /// <summary>Unknown: a stream has no end to count to.</summary>
    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var model = await _model.ResolveAsync(ct);
        var stream = await StreamAsync(ct);
        var keyColumns = await RequireOldKeysAsync(ct);
        var (outer, width) = ModelSource.Outer(model, request, 0);
        _whole = new WholeRead(string.Format(outer, ModelSql.Records(model, null, batch: false)), width, request.Watched);
        var batchSql = string.Format(outer, ModelSql.Records(model, null, batch: true));
        var tables = keyColumns.Keys.OrderByDescending(t => t.Length).ToArray();
        var prefixed = keyColumns.Count > 1;

        // The position before the changes whose records are pending: the checkpoint, then each progress handed on.
        var before = request.From is { } from ? CdcPosition.Parse(from, Description) : CdcPosition.Copy;
        CdcPosition? last = null;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var changes = stream.ReadAsync(new ReadRequest([], request.From), ct).GetAsyncEnumerator(ct);
        ValueTask<bool>? pending = null;
        try
        {
            while (true)
            {
                var next = changes.MoveNextAsync();
                if (!next.IsCompleted && last is not null)
                {
                    // The stream would wait: recompute what it named so far before waiting (a trickle is not held back).
                    pending = next;
                    await foreach (var record in RecomputeAsync(batchSql, width, request.Watched, keys, before, ct))
                    {
                        yield return record;
                    }

                    yield return Change.Progress(last);
                    (before, last) = (last, null);
                    keys.Clear();
                }

                pending = null;
                if (!await next)
                {
                    break;
                }

                var change = changes.Current;
                if (change.IsProgress || change.Position is CdcPosition { Copying: true })
                {
                    // The snapshot's read of every record, and its end.
                    if (change.IsProgress)
                    {
                        before = (CdcPosition)change.Position;
                    }

                    yield return change;
                    continue;
                }

                Name(change, tables, prefixed, keyColumns, keys);
                last = (CdcPosition)change.Position;
                if (keys.Count >= _options.BatchSize)
                {
                    await foreach (var record in RecomputeAsync(batchSql, width, request.Watched, keys, before, ct))
                    {
                        yield return record;
                    }

                    yield return Change.Progress(last);
                    (before, last) = (last, null);
                    keys.Clear();
                }
            }
        }
        finally
        {
            if (pending is { } unfinished)
            {
                // An async iterator cannot be disposed while it runs: the stream's read must end first (it is cancelled with the run).
                try
                {
                    await unfinished;
                }
                catch (Exception)
                {
                    // Stopping anyway; the read's own outcome adds nothing.
                }
            }
        }
    }

    public ValueTask CommittedAsync(Checkpoint checkpoint, CancellationToken ct) => _stream?.CommittedAsync(checkpoint, ct) ?? ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The records a change names: the key (or foreign keys) of its row, new and old, added to <paramref name="keys"/>.</summary>
    private static void Name(Change change, string[] tables, bool prefixed, IReadOnlyDictionary<string, IReadOnlyList<string>> keyColumns, HashSet<string> keys)
    {
        // A stream of several tables prefixes each row's key with its table (CdcKey).
        var table = prefixed ? tables.First(t => change.Key.StartsWith(t + ":", StringComparison.Ordinal)) : tables[0];
        foreach (var column in keyColumns[table])
        {
            if (change.Watched?.GetValueOrDefault(column) is { } now)
            {
                keys.Add(now);
            }

            if (change.Previous?.GetValueOrDefault(column) is { } was)
            {
                keys.Add(was);
            }
        }
    }

    /// <summary>
    /// The records of <paramref name="keys"/> computed now, in one statement, each at <paramref name="at"/>; a key the model
    /// no longer has (its primary row deleted, or filtered out) is a delete.
    /// </summary>
    /// <remarks>
    /// The statement sees every transaction the stream has decoded, with one theoretical exception: PostgreSQL flushes a
    /// commit record (which the walsender may then decode and send) a moment before it marks the transaction visible to
    /// new snapshots. A recompute that lands in that window computes the record without that transaction; the next
    /// change that names the record, or `sluice sync --full`, brings it level. Closing it would need the transaction's
    /// id here (pgoutput's Begin carries it) and a wait until a snapshot sees it.
    /// </remarks>
    private async IAsyncEnumerable<Change> RecomputeAsync(string sql, int width, IReadOnlyList<string> watched, HashSet<string> keys, CdcPosition at, [EnumeratorCancellation] CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            yield break;
        }

        var batch = keys.ToArray();
        RecomputedKeys.AddRange(batch);
        var found = new HashSet<string>(batch.Length, StringComparer.Ordinal);
        Func<string, SourcePosition> position = _ => at;
        await using (var connection = await OpenAsync(ct))
        await using (var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = batch, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
            var kinds = ModelValues.KindsOf(reader, width);
            var names = ModelSource.WatchedNames(watched, []);
            while (await PostgresCall.RunAsync(_calls, new ValueTask<bool>(reader.ReadAsync(ct))))
            {
                var record = ModelSource.RowOf(reader, kinds, names, watched.Count, position);
                found.Add(record.Key);
                yield return record;
            }
        }

        foreach (var key in batch)
        {
            if (!found.Contains(key))
            {
                yield return new Change(key, ChangeOperation.Delete, new object?[width], at);
            }
        }
    }

    /// <summary>
    /// The read of every record in the new slot's exported snapshot, so that the stream, which starts at the slot's
    /// consistent point, neither misses nor repeats a change; it ends with a progress mark to <paramref name="end"/>.
    /// </summary>
    private async IAsyncEnumerable<Change> InitialReadAsync(string snapshot, CdcPosition end, [EnumeratorCancellation] CancellationToken ct)
    {
        var whole = _whole ?? throw new InvalidOperationException("the model's read of every record starts only within ReadAsync");
        await using var connection = await OpenAsync(ct);
        await using var transaction = await PostgresCall.RunAsync(_calls, () => connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).AsTask());
        var setup = $"SET TRANSACTION SNAPSHOT '{snapshot.Replace("'", "''", StringComparison.Ordinal)}'; SET TRANSACTION READ ONLY; SET LOCAL work_mem = '{ModelSource.ReadWorkMem}'";
        await using (var command = new NpgsqlCommand(setup, connection, transaction))
        {
            await PostgresCall.RunAsync(_calls, () => command.ExecuteNonQueryAsync(ct));
        }

        Func<string, SourcePosition> copying = _ => CdcPosition.Copy;
        await using (var command = new NpgsqlCommand(whole.Sql, connection, transaction) { CommandTimeout = 0 })
        await using (var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct)))
        {
            var kinds = ModelValues.KindsOf(reader, whole.Width);
            var names = ModelSource.WatchedNames(whole.Watched, []);
            while (await PostgresCall.RunAsync(_calls, new ValueTask<bool>(reader.ReadAsync(ct))))
            {
                yield return ModelSource.RowOf(reader, kinds, names, whole.Watched.Count, copying);
            }
        }

        await PostgresCall.RunAsync(_calls, () => transaction.CommitAsync(ct));
        yield return Change.Progress(end);
    }

    /// <summary>The stream over the model's tables (as resolved: a table written two ways is followed once).</summary>
    private async Task<CdcSource> StreamAsync(CancellationToken ct)
    {
        if (_stream is not null)
        {
            return _stream;
        }

        var model = await _model.ResolveAsync(ct);
        var keyColumns = KeyColumns(model);
        _stream = new CdcSource(_dataSource, _connection, _cdc.Following(keyColumns.Keys.ToList()), _time)
        {
            WatchedOf = table => keyColumns[table.ToString()],
            InitialRead = InitialReadAsync,
        };
        return _stream;
    }

    /// <summary>For each table the model reads (by <c>schema.table</c>), the columns whose values are record keys: the primary's key, the secondaries' foreign keys.</summary>
    private static Dictionary<string, IReadOnlyList<string>> KeyColumns(ResolvedModel model)
    {
        var columns = new Dictionary<string, List<string>>(StringComparer.Ordinal) { [model.Primary.Name] = [model.Key.Name] };
        foreach (var property in model.Properties.Where(p => p.IsSecondary))
        {
            var table = model.TableOf(property).Name;
            var list = columns.TryGetValue(table, out var known) ? known : columns[table] = [];
            if (!list.Contains(property.ForeignKey!, StringComparer.Ordinal))
            {
                list.Add(property.ForeignKey!);
            }
        }

        return columns.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// A change names its records by the key columns' old values too (a deleted order, an order moved to another
    /// customer), and PostgreSQL logs of an old row only its replica identity: each key column must be in it.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> RequireOldKeysAsync(CancellationToken ct)
    {
        var model = await _model.ResolveAsync(ct);
        var keyColumns = KeyColumns(model);
        foreach (var table in await (await StreamAsync(ct)).ResolveAsync(ct))
        {
            var missing = keyColumns[table.ToString()].Where(c => !table.IdentityKey.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                var deleted = table.ToString() == model.Primary.Name && missing.Contains(model.Key.Name) ? "a deleted record" : "the record a deleted or moved row belonged to";
                throw new ConfigException(_cdc.Config?.LocationOf("cdc"),
                    $"the model finds {deleted} from the old row's {string.Join(", ", missing.Select(c => $"'{c}'"))}, but PostgreSQL logs only the replica identity of an old row of {table}, which does not hold it",
                    $"run: {table.IdentityFullSql}");
            }
        }

        return keyColumns;
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => PostgresCall.RunAsync(_calls, () => _dataSource.OpenConnectionAsync(ct).AsTask());

    /// <summary>The statement that reads every record, with its number of requested columns and the watched ones.</summary>
    private sealed record WholeRead(string Sql, int Width, IReadOnlyList<string> Watched);
}
