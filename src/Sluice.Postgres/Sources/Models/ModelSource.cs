using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// A model (G2): one record per row of a primary table, with properties computed from secondary tables, compiled into
/// one statement per batch of keys (<see cref="ModelSql"/>) and diffed by the engine (<see cref="ISource.Diff"/>), so
/// that only records whose values changed are sent.
/// </summary>
/// <remarks>
/// <para>
/// A model that follows cursors (the primary's <c>cursor:</c> and each secondary table's in <c>cursors:</c>) reads,
/// after its first run, only the records a row changed since the checkpoint: the keys of the primary rows and the
/// foreign keys of the secondary rows whose cursor moved (a new order changes its customer), recomputed a batch at a
/// time. The checkpoint holds one cursor per table and moves only with the commit. A read of every record happens on
/// the first run, after one that did not finish, every <c>reconcile:</c> interval, and on every run of a model without
/// cursors; only such a read finds deleted records (a cursor sees no delete, in the primary table or in a secondary).
/// </para>
/// <para>
/// Each read runs in one REPEATABLE READ, read-only transaction, so the cursors' maximums (where the read ends) and the
/// rows it computes come from one snapshot. Records come in key order (byte order of the key's text), every record's
/// key once.
/// </para>
/// </remarks>
internal sealed class ModelSource : ISource
{
    /// <summary>The memory each read's sorts and hashes may use before spilling to disk (see <see cref="ReadAsync"/>).</summary>
    internal const string ReadWorkMem = "64MB";

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly PostgresCallContext _calls;
    private readonly ModelSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<ReadRequest, ReadPlan> _plans = new();
    private ResolvedModel? _resolved;

    public ModelSource(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, ModelSourceOptions options, TimeProvider time)
    {
        _dataSource = dataSource;
        _connection = connection;
        _calls = PostgresCallContext.Connection(connection.Describe());
        _options = options;
        _time = time;
        Diff = new SourceDiff(KeyOrder.Sorted, key => new ModelPosition { Cursors = new Dictionary<string, string>(), Reading = new ModelRead(true, new Dictionary<string, string>(), key) })
        {
            IsPartial = request => !PlanOf(request).Whole,
        };
    }

    public string Description => $"model {_options.Table} ({_options.Properties.Count} properties{(_options.FollowsCursors ? ", by cursors" : "")})";

    public SourceDiff Diff { get; }

    /// <summary>
    /// A whole read's first row comes only once PostgreSQL has aggregated every secondary row and sorted the records
    /// (0.7 s of 100,000 customers' 1,000,000 orders on an idle machine): begun early, that overlaps the run's set-up.
    /// </summary>
    public bool ReadsEarly => true;

    /// <summary>The keys each batch statement of the last partial read was given, for tests: which records were recomputed.</summary>
    internal List<string> RecomputedKeys { get; } = [];

    /// <summary>How many statements computed records in the last read (one per batch, or one for a whole read).</summary>
    internal int RecordStatements { get; private set; }

    public async Task CheckAsync(CancellationToken ct) => await ResolveAsync(ct);

    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct) => (await ResolveAsync(ct)).Schema;

    /// <summary>Unknown: how many records changed is known only once they are computed and diffed.</summary>
    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var model = await ResolveAsync(ct);
        var plan = PlanOf(request);
        // A model that follows cursors keeps, with each record, its count of rows in each secondary table: a count that
        // dropped is how a deleted secondary row (which no cursor shows) finds its parent.
        IReadOnlyList<(string From, string ForeignKey)> parents = _options.FollowsCursors ? ModelSql.Parents(model) : [];
        var (outer, width) = Outer(model, request, parents.Count);
        RecomputedKeys.Clear();
        RecordStatements = 0;

        await using var connection = await OpenAsync(ct);
        // Before the read's snapshot: every delete these counts include is one the snapshot no longer shows.
        var deletes = await DeleteCountsAsync(connection, model, parents, ct);
        await using var transaction = await PostgresCall.RunAsync(_calls, () => connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).AsTask());
        await ExecuteAsync(connection, "SET TRANSACTION READ ONLY", ct);

        // The grouped subqueries hash every secondary row of a whole read; PostgreSQL's default work_mem (4 MB) spills
        // those hashes to disk and doubled the read of 100,000 customers with 1,000,000 orders. LOCAL: this read only.
        await ExecuteAsync(connection, $"SET LOCAL work_mem = '{ReadWorkMem}'", ct);
        var started = _time.GetUtcNow();
        var to = plan.Resume?.To ?? await HorizonAsync(connection, model, ct);
        var from = plan.From;
        var cursors = from?.Cursors ?? new Dictionary<string, string>();
        var before = new ModelPosition { Cursors = cursors, ReconciledAt = from?.ReconciledAt, Deletes = from?.Deletes };
        var names = WatchedNames(request.Watched, [.. parents.Select(RowsName)]);

        if (plan.Whole)
        {
            await using var command = new NpgsqlCommand(string.Format(outer, ModelSql.Records(model, null, batch: false, rowCounts: parents.Count > 0)), connection) { CommandTimeout = 0 };
            RecordStatements++;
            var read = new ModelRead(true, to, null);
            Func<string, SourcePosition> at = key => ModelPosition.Within(before, read, key);
            await using (var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct)))
            {
                var kinds = ModelValues.KindsOf(reader, width);
                while (await PostgresCall.RunAsync(_calls, new ValueTask<bool>(reader.ReadAsync(ct))))
                {
                    yield return RowOf(reader, kinds, names, request.Watched.Count, at);
                }
            }

            await transaction.CommitAsync(ct);
            yield return Change.Progress(new ModelPosition { Cursors = to, ReconciledAt = started, Deletes = deletes });
            yield break;
        }

        var lost = await LostRowsAsync(connection, model, parents, from?.Deletes, deletes, request, ct);
        if (ModelSql.ChangedKeys(model, cursors, to, plan.Resume?.After, lost) is { } changed)
        {
            // A server-side cursor over the changed keys: one scan of each table's changed rows, a batch in memory at a time.
            await using (var declare = new NpgsqlCommand($"DECLARE sluice_changed_keys NO SCROLL CURSOR FOR {changed.Sql}", connection))
            {
                declare.Parameters.AddRange(changed.Parameters.ToArray());
                await PostgresCall.RunAsync(_calls, () => declare.ExecuteNonQueryAsync(ct));
            }

            var batchSql = string.Format(outer, ModelSql.Records(model, null, batch: true, rowCounts: parents.Count > 0));
            while (true)
            {
                var keys = new List<string>(_options.BatchSize);
                await using (var fetch = new NpgsqlCommand($"FETCH {_options.BatchSize} FROM sluice_changed_keys", connection))
                await using (var reader = await PostgresCall.RunAsync(_calls, () => fetch.ExecuteReaderAsync(ct)))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        keys.Add(reader.GetString(0));
                    }
                }

                if (keys.Count == 0)
                {
                    break;
                }

                RecomputedKeys.AddRange(keys);
                await using var command = new NpgsqlCommand(batchSql, connection) { CommandTimeout = 0 };
                command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                RecordStatements++;
                var read = new ModelRead(false, to, null);
                Func<string, SourcePosition> at = key => ModelPosition.Within(before, read, key);
                await using (var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct)))
                {
                    var kinds = ModelValues.KindsOf(reader, width);
                    while (await PostgresCall.RunAsync(_calls, new ValueTask<bool>(reader.ReadAsync(ct))))
                    {
                        yield return RowOf(reader, kinds, names, request.Watched.Count, at);
                    }
                }

                if (keys.Count < _options.BatchSize)
                {
                    break;
                }
            }
        }

        await transaction.CommitAsync(ct);
        yield return Change.Progress(new ModelPosition { Cursors = to, ReconciledAt = from?.ReconciledAt, Deletes = deletes });
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// The outer statement around the model's (<c>{0}</c>): the requested columns in order, the key text, the watched
    /// columns as text; sorted by key. Returns it with the number of requested columns.
    /// </summary>
    internal static (string Outer, int Width) Outer(ResolvedModel model, ReadRequest request, int rowCounts)
    {
        var select = new StringBuilder();
        foreach (var column in request.Columns)
        {
            if (model.Schema.Find(column) is null)
            {
                throw SluiceException.Fatal($"model {model.Primary}: column '{column}' is not among its key and properties");
            }

            select.Append("q.").Append(SqlNames.Quote(column));
            if (model.ReadAsText.Contains(column))
            {
                select.Append("::text");
            }

            select.Append(", ");
        }

        select.Append("q.").Append(ModelSql.KeyColumn);
        foreach (var column in request.Watched)
        {
            if (model.Schema.Find(column) is null)
            {
                throw SluiceException.Fatal($"model {model.Primary}: watched column '{column}' is not among its key and properties");
            }

            select.Append(", (q.").Append(SqlNames.Quote(column)).Append(")::text");
        }

        for (var j = 0; j < rowCounts; j++)
        {
            select.Append(", q.").Append(ModelSql.RowsColumn).Append(j);
        }

        // Braces in the select are names' own; string.Format must see only the one placeholder.
        var text = $"SELECT {select.Replace("{", "{{").Replace("}", "}}")} FROM ({{0}}) AS q ORDER BY q.{ModelSql.KeyColumn}";
        return (text, request.Columns.Count);
    }

    /// <summary>
    /// The record on the reader's current row, read in place: each value by its column's type (no boxing through the
    /// driver's <c>GetValue</c>), the key after them, the watched columns as text, then its row counts (<c>bigint</c>,
    /// stored as their text with the watched values); <paramref name="names"/> (<see cref="WatchedNames"/>) names the
    /// watched columns, then the counts; at the position <paramref name="positionOf"/> gives its key.
    /// </summary>
    internal static Change RowOf(NpgsqlDataReader reader, ModelValues.Kind[] kinds, string[]? names, int watchedCount, Func<string, SourcePosition> positionOf)
    {
        var width = kinds.Length;
        var key = reader.GetString(width);
        var values = new object?[width];
        for (var i = 0; i < width; i++)
        {
            values[i] = ModelValues.Read(reader, i, kinds[i]);
        }

        ModelWatchedValues? now = null;
        if (names is not null)
        {
            var texts = new string?[names.Length];
            for (var i = 0; i < watchedCount; i++)
            {
                texts[i] = reader.IsDBNull(width + 1 + i) ? null : reader.GetString(width + 1 + i);
            }

            for (var j = watchedCount; j < names.Length; j++)
            {
                texts[j] = ModelWatchedValues.CountText(reader.GetInt64(width + 1 + j));
            }

            now = new ModelWatchedValues(names, texts);
        }

        return new Change(key, ChangeOperation.Upsert, values, positionOf(key)) { Watched = now };
    }

    /// <summary>The names <see cref="RowOf"/> stores a record's watched values under, then its row counts'; <c>null</c> when there are none.</summary>
    internal static string[]? WatchedNames(IReadOnlyList<string> watched, string[] hidden) =>
        watched.Count + hidden.Length == 0 ? null : [.. watched, .. hidden];

    /// <summary>The name a record's row count in a secondary table is stored under, among its watched values; no column's name.</summary>
    private static string RowsName((string From, string ForeignKey) parent) => $"#rows in {parent.From} by {parent.ForeignKey}";

    /// <summary>Each secondary table's count of deleted rows now, by table; empty for a model without cursors.</summary>
    private async Task<Dictionary<string, long>?> DeleteCountsAsync(NpgsqlConnection connection, ResolvedModel model, IReadOnlyList<(string From, string ForeignKey)> parents, CancellationToken ct)
    {
        if (parents.Count == 0)
        {
            return null;
        }

        var tables = parents.Select(p => p.From).Distinct().ToList();
        await using var command = new NpgsqlCommand(ModelSql.DeleteCounts(model, tables), connection);
        await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
        await reader.ReadAsync(ct);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < tables.Count; i++)
        {
            counts[tables[i]] = reader.GetInt64(i);
        }

        return counts;
    }

    /// <summary>
    /// The keys of records whose rows in a secondary table were deleted since they were stored: for each table whose
    /// delete count moved since the checkpoint (or is not known), its rows counted by foreign key now, against the count
    /// each record was stored with. Nothing to do, and no scan, when no secondary table had a delete.
    /// </summary>
    /// <remarks>
    /// PostgreSQL's statistics may lag a delete by a moment: a count that has not moved yet moves by the next run, which
    /// finds the records then. A record stored without counts (before this was kept) is recomputed once.
    /// </remarks>
    private async Task<HashSet<string>?> LostRowsAsync(NpgsqlConnection connection, ResolvedModel model, IReadOnlyList<(string From, string ForeignKey)> parents,
        IReadOnlyDictionary<string, long>? before, Dictionary<string, long>? now, ReadRequest request, CancellationToken ct)
    {
        if (now is null || request.RecordStates is not { } states)
        {
            return null;
        }

        var moved = parents.Where(p => before is null || !before.TryGetValue(p.From, out var was) || was != now[p.From]).ToList();
        if (moved.Count == 0)
        {
            return null;
        }

        var lost = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parent in moved)
        {
            var counts = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var command = new NpgsqlCommand(ModelSql.RowCounts(model, parent), connection) { CommandTimeout = 0 })
            await using (var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct)))
            {
                while (await PostgresCall.RunAsync(_calls, new ValueTask<bool>(reader.ReadAsync(ct))))
                {
                    counts[reader.GetString(0)] = reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            var name = RowsName(parent);
            await foreach (var stored in states.ReadAsync(ct))
            {
                var was = stored.Values?.GetValueOrDefault(name);
                if (was != counts.GetValueOrDefault(stored.Key, "0"))
                {
                    lost.Add(stored.Key);
                }
            }
        }

        return lost;
    }

    private async Task<Dictionary<string, string>> HorizonAsync(NpgsqlConnection connection, ResolvedModel model, CancellationToken ct)
    {
        var horizon = new Dictionary<string, string>(StringComparer.Ordinal);
        var followed = model.Followed.ToList();
        if (followed.Count == 0)
        {
            return horizon;
        }

        await using var command = new NpgsqlCommand(ModelSql.Horizon(model), connection);
        await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
        await reader.ReadAsync(ct);
        for (var i = 0; i < followed.Count; i++)
        {
            if (!reader.IsDBNull(i))
            {
                horizon[followed[i].Name] = reader.GetString(i);
            }
        }

        return horizon;
    }

    /// <summary>What a read from <paramref name="request"/> does, decided once per request: the engine asks first, then reads.</summary>
    private ReadPlan PlanOf(ReadRequest request) => _plans.GetValue(request, Decide);

    private ReadPlan Decide(ReadRequest request)
    {
        if (request.From is null)
        {
            return new ReadPlan(true, null, null);
        }

        var from = ModelPosition.FromCheckpoint(request.From, Description);
        return from.Reading switch
        {
            // A read of every record that did not end starts over: only a whole read finds the deleted records.
            { Whole: true } => new ReadPlan(true, from, null),
            { } changed => new ReadPlan(false, from, changed),
            _ when !_options.FollowsCursors => new ReadPlan(true, from, null),
            _ when _options.Reconcile is { } every && (from.ReconciledAt is not { } last || _time.GetUtcNow() - last >= every) => new ReadPlan(true, from, null),
            _ => new ReadPlan(false, from, null),
        };
    }

    /// <summary>The model checked against the database, once.</summary>
    internal async Task<ResolvedModel> ResolveAsync(CancellationToken ct)
    {
        if (_resolved is not null)
        {
            return _resolved;
        }

        await using var connection = await OpenAsync(ct);
        _resolved = await PostgresCall.RunAsync(_calls, () => ModelResolver.ResolveAsync(connection, _options, _connection.Schema, ct));
        return _resolved;
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await PostgresCall.RunAsync(_calls, () => command.ExecuteNonQueryAsync(ct));
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => PostgresCall.RunAsync(_calls, () => _dataSource.OpenConnectionAsync(ct).AsTask());

    /// <summary>A read of every record (<paramref name="Whole"/>) or of the changed ones, from the stored position, resuming <paramref name="Resume"/>.</summary>
    private sealed record ReadPlan(bool Whole, ModelPosition? From, ModelRead? Resume);
}
