using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Salesforce.Bulk;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Source;

internal sealed partial class SalesforceSource
{
    /// <summary>getDeleted reaches back at most 15 days (Salesforce refuses an older start).</summary>
    private static readonly TimeSpan DeletedReach = TimeSpan.FromDays(15);

    public IAsyncEnumerable<Change> ReadAsync(ReadRequest request, CancellationToken ct) =>
        Streams
            ? new Streaming.ChangeStream(this, _client, _options.Object) { Handler = StreamingHandler }.ReadAsync(request, ct)
            : PollAsync(request, ct);

    /// <summary>One polling read: the initial load when there is no checkpoint, then a poll, then purged deletes.</summary>
    internal async IAsyncEnumerable<Change> PollAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var read = new Read(this, resolved, request, SalesforcePosition.Read(request.From));
        try
        {
            if (read.Loading)
            {
                await foreach (var change in read.LoadAsync(ct))
                {
                    yield return change;
                }
            }

            await foreach (var change in read.PollAsync(ct))
            {
                yield return change;
            }

            await foreach (var change in read.PurgedAsync(ct))
            {
                yield return change;
            }

            yield return Change.Progress(read.Position(null, loading: false));
        }
        finally
        {
            await read.StopPollAheadAsync();
        }
    }

    /// <summary>
    /// Reads the records with these ids as they are now, deleted ones (still in the recycle bin) as deletes: for re-reading
    /// what a change notification named. One queryAll per 200 ids. Positions are the caller's business: the changes
    /// carry <paramref name="position"/>.
    /// </summary>
    internal async IAsyncEnumerable<Change> ReadRecordsAsync(IReadOnlyCollection<string> ids, ReadRequest request, SourcePosition position, [EnumeratorCancellation] CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var read = new Read(this, resolved, request, null);
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(200))
        {
            var soql = $"SELECT {resolved.SelectList} FROM {resolved.ObjectName} WHERE Id IN ({string.Join(", ", chunk.Select(SourceValues.SoqlText))})";
            await foreach (var row in read.QueryAsync(soql, ct))
            {
                yield return read.ChangeOf(row, position, loading: false);
            }
        }
    }

    /// <summary>One read: where it started, what it has handed on, and the newest stamp it saw.</summary>
    private sealed class Read
    {
        private readonly SalesforceSource _source;
        private readonly Resolved _resolved;
        private readonly int[] _requested;
        private readonly int _id;
        private readonly int _stamp;
        private readonly int _created;
        private readonly int _deleted;
        private readonly long _lookbackMs;
        private readonly DeliveredWindow _window;
        private readonly SalesforcePosition.Stored? _from;
        private string? _job;
        private long _sequence;

        /// <summary>This read loaded: the poll that follows may find the load's own records in its lookback.</summary>
        private bool _loaded;

        /// <summary>The poll after a load of many pages, begun when the load's job was done (<see cref="PollAheadAsync"/>).</summary>
        private Task<PollAhead?>? _ahead;

        private CancellationTokenSource? _aheadStop;

        public Read(SalesforceSource source, Resolved resolved, ReadRequest request, SalesforcePosition.Stored? from)
        {
            _source = source;
            _resolved = resolved;
            _from = from;
            _requested = [.. request.Columns.Select(c => resolved.IndexOf(c) is var i and >= 0
                ? i
                : throw new InvalidOperationException($"{source.Description} has no column '{c}'"))];
            _id = resolved.IndexOf("Id");
            _stamp = resolved.IndexOf("SystemModstamp");
            _created = resolved.IndexOf("CreatedDate");
            _deleted = resolved.IndexOf("IsDeleted");
            _lookbackMs = (long)source._options.Lookback.TotalMilliseconds;
            _window = new DeliveredWindow(from?.Versions() ?? []);
            Loading = from is null || from.Phase == "load";
            MaxMs = from?.Max;
            FloorMs = from?.Floor;
            DeletedFromMs = from?.DeletedFrom;
            _job = from?.Job;
        }

        public bool Loading { get; private set; }

        public long? MaxMs { get; private set; }

        /// <summary>The poll reads records stamped after it: what the checkpoint stored, moved up as newer stamps come.</summary>
        public long? FloorMs { get; private set; }

        public long? DeletedFromMs { get; private set; }

        private SalesforceClient Client => _source._client;

        private SalesforceSourceOptions Options => _source._options;

        /// <summary>The whole object through a Bulk query job, or the rest of the job a stored checkpoint was reading.</summary>
        public async IAsyncEnumerable<Change> LoadAsync([EnumeratorCancellation] CancellationToken ct)
        {
            var bulk = new BulkQueryJob(Client);
            string? page = null;
            var skip = 0;
            DateTimeOffset? created = null;
            if (_job is not null && await bulk.ExistsAsync(_job, ct))
            {
                page = _from!.Page;
                skip = (_from.Row ?? -1) + 1;
                // A checkpoint inside the load leaves the job's rows out of its window (one per batch, they would make it
                // as large as the load): read them back, so that the poll after the load re-sends none handed on before.
                await RememberJobAsync(bulk, _job, ct);
            }
            else
            {
                // Deletes from now on are found by getDeleted; one before the load is of a record the load never reads.
                DeletedFromMs ??= Client.Time.GetUtcNow().ToUnixTimeMilliseconds() - _lookbackMs;
                var soql = $"SELECT {LoadSelectList} FROM {_resolved.ObjectName}" + (Options.Where is { } where ? $" WHERE ({where})" : "");
                (_job, created) = await bulk.CreateJobAsync(soql, queryAll: false, ct);
            }

            var records = await bulk.WaitAsync(_job, ct);
            if (created is { } createdDate && records > Options.BulkPageSize && Options.BulkPollThreshold > 0)
            {
                // The load's results take more than one page to read: the poll after it counts its lookback and asks for its
                // job now, so that the org runs that job while the pages are read instead of after them.
                _aheadStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                _ahead = PollAheadAsync(createdDate.ToUnixTimeMilliseconds() - _lookbackMs, _aheadStop.Token);
            }

            int[]? columns = null;
            await foreach (var row in bulk.ReadAsync(_job, page, Options.BulkPageSize, ct))
            {
                if (row.Page == page && row.Index < skip)
                {
                    continue;
                }

                columns ??= HeaderColumns(row.Header);
                var id = row.Cells.GetString(columns[_id]);
                var stampMs = StampMs(row.Cells, columns[_stamp]);
                MaxMs = MaxMs is { } max ? Math.Max(max, stampMs) : stampMs;
                _sequence = _window.Add(id, stampMs, deleted: false, loaded: true);
                var position = Position(row, loading: true);
                yield return Loaded(columns, row.Cells, id, stampMs, position);
            }

            // The poll that follows reads again from the lookback before the newest stamp loaded: records committed late,
            // and every change made while the job ran.
            Loading = false;
            _loaded = true;
            FloorMs = MaxMs is { } newest ? newest - _lookbackMs : null;
        }

        /// <summary>
        /// Every row of the load's job into the window, as handed on. Rows after the resume point are not handed on yet,
        /// but the load hands them on before it ends, and nothing but the poll after it asks the window.
        /// </summary>
        private async Task RememberJobAsync(BulkQueryJob bulk, string job, CancellationToken ct)
        {
            int[]? columns = null;
            await foreach (var row in bulk.ReadAsync(job, null, Options.BulkPageSize, ct))
            {
                columns ??= HeaderColumns(row.Header);
                _window.Remember(row.Cells.GetString(columns[_id]), StampMs(row.Cells, columns[_stamp]));
            }
        }

        /// <summary>
        /// Every record stamped after the floor, deleted ones included, by the (SystemModstamp, Id) keyset. When a full
        /// page leaves many more behind it (a first poll after a load of records stamped within the lookback, a mass
        /// update), the rest is read through one Bulk query job instead (<see cref="BulkPollAsync"/>).
        /// </summary>
        public async IAsyncEnumerable<Change> PollAsync([EnumeratorCancellation] CancellationToken ct)
        {
            var readFloor = FloorMs;
            (string Stamp, string Id)? after = null;
            DateTimeOffset? askedAt = null;
            var more = true;
            var countFirst = _loaded && Options.BulkPollThreshold > 0;
            if (_ahead is { } ahead)
            {
                _ahead = null;
                countFirst = false;
                if (await ahead is { } early)
                {
                    await foreach (var change in ReadPollJobAsync(new BulkQueryJob(Client), early.Job, early.Where, ct))
                    {
                        yield return change;
                    }

                    // The job holds what was committed before it was created; what was changed while the load's results
                    // were read is stamped from then on (a record committed later with an older stamp is the next poll's,
                    // whose lookback reaches it), so the REST pages read only from then on.
                    readFloor = early.FromMs;
                }
            }

            if (countFirst)
            {
                // Right after a load of recently stamped records (a fresh import) the lookback holds most of them: count
                // first, and read a large lookback through the job straight away. Its first REST page would make the org
                // sort every record of the lookback by SystemModstamp to answer 2,000 of them.
                var all = Conditions(readFloor, null);
                if (await CountAsync(all, ct) >= Options.BulkPollThreshold)
                {
                    await foreach (var change in BulkPollAsync(all, ct))
                    {
                        yield return change;
                    }

                    more = false;
                }
            }

            while (more)
            {
                var conditions = Conditions(readFloor, after);
                var soql = $"SELECT {_resolved.SelectList} FROM {_resolved.ObjectName}"
                    + (conditions.Length > 0 ? " WHERE " + conditions : "")
                    + $" ORDER BY SystemModstamp ASC, Id ASC LIMIT {Options.PageSize}";
                var count = 0;
                await foreach (var values in QueryAsync(soql, ct, at => askedAt ??= at))
                {
                    count++;
                    var id = (string)values[_id]!;
                    var stampMs = StampMs(values);
                    after = (SourceValues.SoqlInstant(DateTimeOffset.FromUnixTimeMilliseconds(stampMs)), id);
                    MaxMs = MaxMs is { } max ? Math.Max(max, stampMs) : stampMs;
                    var candidate = stampMs - _lookbackMs;
                    FloorMs = FloorMs is { } f ? Math.Max(f, candidate) : candidate;
                    var deleted = values[_deleted] is true;
                    if (_window.Delivered(id, stampMs, deleted))
                    {
                        continue;
                    }

                    _sequence = _window.Add(id, stampMs, deleted);
                    var position = Position(null, loading: false);
                    yield return deleted ? Delete(values, position) : Upsert(values, position, Kind(values));
                }

                more = count == Options.PageSize;
                if (more && Options.BulkPollThreshold > 0)
                {
                    var rest = Conditions(readFloor, after);
                    if (await CountAsync(rest, ct) >= Options.BulkPollThreshold)
                    {
                        await foreach (var change in BulkPollAsync(rest, ct))
                        {
                            yield return change;
                        }

                        more = false;
                    }
                }
            }

            // Time moves the floor too, so that a quiet org's window empties: a record not visible when the first page
            // was asked for, stamped a lookback before then or earlier, commits later than the lookback allows anyway.
            // The org's clock (the answer's Date, whole seconds) decides, not Sluice's.
            if (askedAt is { } asked)
            {
                var byTime = asked.ToUnixTimeMilliseconds() - 1_000 - _lookbackMs;
                FloorMs = FloorMs is { } f ? Math.Max(f, byTime) : byTime;
            }
        }

        /// <summary>
        /// The rest of a poll through one Bulk query job (<c>queryAll</c>, so deletes come too): one request for the
        /// results instead of a REST page per 2,000 records. The job selects only <c>Id</c>, <c>SystemModstamp</c> and
        /// <c>IsDeleted</c>: after a load of records stamped within the lookback nearly every row is a version handed on
        /// already, which costs a hash lookup; the few others are read whole by their ids afterwards (REST, 200 a
        /// request). When they are more than a REST page, a second job reads every field of the rest instead. The rows
        /// come in no order, so the floor stays where the last REST page left it until all of them have been handed on
        /// (a checkpoint taken meanwhile reads the job's records again, and the window drops those handed on).
        /// </summary>
        private async IAsyncEnumerable<Change> BulkPollAsync(string conditions, [EnumeratorCancellation] CancellationToken ct)
        {
            var bulk = new BulkQueryJob(Client);
            var where = conditions.Length > 0 ? " WHERE " + conditions : "";
            var job = await bulk.CreateAsync(PollJobSoql(where), queryAll: true, ct);
            await foreach (var change in ReadPollJobAsync(bulk, job, where, ct))
            {
                yield return change;
            }
        }

        /// <summary>The narrow job's SOQL: only what the window needs.</summary>
        private string PollJobSoql(string where) => $"SELECT Id, SystemModstamp, IsDeleted FROM {_resolved.ObjectName}{where}";

        /// <summary>
        /// The poll right after a load whose results take more than one page, begun as soon as the load's job is done:
        /// counts the lookback from <paramref name="floorMs"/> and, from <c>bulk_poll_threshold</c> records, creates the
        /// poll's narrow job, which the org then runs while the load's pages are read. The floor is the load job's
        /// creation less the lookback: a record the load's job did not hold was committed after that and stamped at most
        /// a lookback before its commit. Answers null when the lookback is small (the poll reads it by REST after the load).
        /// </summary>
        private async Task<PollAhead?> PollAheadAsync(long floorMs, CancellationToken ct)
        {
            var conditions = Conditions(floorMs, null);
            if (await CountAsync(conditions, ct) < Options.BulkPollThreshold)
            {
                return null;
            }

            var where = " WHERE " + conditions;
            var (job, created) = await new BulkQueryJob(Client).CreateJobAsync(PollJobSoql(where), queryAll: true, ct);
            // From the org's creation time on (the REST condition is "after", so a millisecond before): Salesforce may give it
            // in whole seconds, cut down, which reads a little more, never less. Not earlier: records the load itself stamped
            // just before would fill the REST pages again.
            return new PollAhead(job, where, created is { } at ? at.ToUnixTimeMilliseconds() - 1 : floorMs);
        }

        /// <summary>Stops the poll begun ahead when the read ends before it (stopped, or failed); its job is left to the org.</summary>
        public async Task StopPollAheadAsync()
        {
            if (_ahead is { } ahead)
            {
                _ahead = null;
                await _aheadStop!.CancelAsync();
                try
                {
                    await ahead;
                }
                catch (Exception)
                {
                    // Cancelled, or failed: nothing was read from it, and the read's own outcome is what counts.
                }
            }

            _aheadStop?.Dispose();
            _aheadStop = null;
        }

        /// <summary>The fields the load's job selects: the sync's, and the Id and SystemModstamp it keys and windows by.</summary>
        private string LoadSelectList => string.Join(", ", _resolved.Select
            .Where(f => f.Path is not ("CreatedDate" or "IsDeleted") || Options.Fields.Contains(f.Path, StringComparer.OrdinalIgnoreCase))
            .Select(f => f.Path));

        /// <summary>The rows of a poll's narrow job: handed-on versions dropped, the rest read whole (<see cref="BulkPollAsync"/>).</summary>
        private async IAsyncEnumerable<Change> ReadPollJobAsync(BulkQueryJob bulk, string job, string where, [EnumeratorCancellation] CancellationToken ct)
        {
            await bulk.WaitAsync(job, ct);
            int[]? columns = null;
            long? newest = null;
            var missed = new List<string>();
            var many = false;
            await foreach (var row in bulk.ReadAsync(job, null, Options.BulkPageSize, ct))
            {
                columns ??= [.. new[] { "Id", "SystemModstamp", "IsDeleted" }.Select(f => Array.FindIndex(row.Header, h => h.Equals(f, StringComparison.OrdinalIgnoreCase)))];
                var stampMs = StampMs(row.Cells, columns[1]);
                var deleted = SourceValues.FromUtf8Cell(row.Cells, columns[2], ColumnType.Boolean) is true;
                newest = newest is { } n ? Math.Max(n, stampMs) : stampMs;
                MaxMs = MaxMs is { } max ? Math.Max(max, stampMs) : stampMs;
                var id = row.Cells.GetString(columns[0]);
                if (!many && !_window.Delivered(id, stampMs, deleted))
                {
                    missed.Add(id);
                    many = missed.Count > Options.PageSize;
                }
            }

            var changes = many ? WholeBulkPollAsync(bulk, where, ct) : ReadMissedAsync(missed, ct);
            await foreach (var change in changes)
            {
                yield return change;
            }

            // Every record stamped up to the newest was in the job: the floor moves up behind them all at once.
            if (newest is { } newestMs)
            {
                var candidate = newestMs - _lookbackMs;
                FloorMs = FloorMs is { } f ? Math.Max(f, candidate) : candidate;
            }
        }

        /// <summary>A poll's narrow job created ahead (<see cref="PollAheadAsync"/>); <paramref name="FromMs"/>: where the REST pages after it read from.</summary>
        private sealed record PollAhead(string Job, string Where, long FromMs);

        /// <summary>The records the poll's job found not handed on, read whole by their ids (as they are now) through REST.</summary>
        private async IAsyncEnumerable<Change> ReadMissedAsync(List<string> ids, [EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var chunk in ids.Chunk(200))
            {
                // The sync's where again: a record changed since the job so that it no longer matches is not this sync's.
                var soql = $"SELECT {_resolved.SelectList} FROM {_resolved.ObjectName} WHERE "
                    + (Options.Where is { } where ? $"({where}) AND " : "")
                    + $"Id IN ({string.Join(", ", chunk.Select(SourceValues.SoqlText))})";
                await foreach (var values in QueryAsync(soql, ct))
                {
                    var id = (string)values[_id]!;
                    var stampMs = StampMs(values);
                    var deleted = values[_deleted] is true;
                    MaxMs = MaxMs is { } max ? Math.Max(max, stampMs) : stampMs;
                    if (_window.Delivered(id, stampMs, deleted))
                    {
                        continue;
                    }

                    _sequence = _window.Add(id, stampMs, deleted);
                    var position = Position(null, loading: false);
                    yield return deleted ? Delete(values, position) : Upsert(values, position, Kind(values));
                }
            }
        }

        /// <summary>The rest of the poll through a job of every field: for many records not handed on (a mass update).</summary>
        private async IAsyncEnumerable<Change> WholeBulkPollAsync(BulkQueryJob bulk, string where, [EnumeratorCancellation] CancellationToken ct)
        {
            var job = await bulk.CreateAsync($"SELECT {_resolved.SelectList} FROM {_resolved.ObjectName}{where}", queryAll: true, ct);
            await bulk.WaitAsync(job, ct);
            int[]? columns = null;
            await foreach (var row in bulk.ReadAsync(job, null, Options.BulkPageSize, ct))
            {
                columns ??= HeaderColumns(row.Header);
                var stampMs = StampMs(row.Cells, columns[_stamp]);
                var deleted = SourceValues.FromUtf8Cell(row.Cells, columns[_deleted], ColumnType.Boolean) is true;
                MaxMs = MaxMs is { } max ? Math.Max(max, stampMs) : stampMs;
                var id = row.Cells.GetString(columns[_id]);
                if (_window.Delivered(id, stampMs, deleted))
                {
                    continue;
                }

                var values = ValuesOf(columns, row.Cells);
                _sequence = _window.Add(id, stampMs, deleted);
                var position = Position(null, loading: false);
                yield return deleted ? Delete(values, position) : Upsert(values, position, Kind(values));
            }
        }

        /// <summary>How many records (deleted ones included) meet <paramref name="conditions"/>: one <c>COUNT()</c> query.</summary>
        private async Task<long> CountAsync(string conditions, CancellationToken ct)
        {
            var soql = $"SELECT COUNT() FROM {_resolved.ObjectName}" + (conditions.Length > 0 ? " WHERE " + conditions : "");
            using var json = await Client.GetJsonAsync("queryAll?q=" + Uri.EscapeDataString(soql), ct);
            return json.RootElement.GetProperty("totalSize").GetInt64();
        }

        /// <summary>The poll's conditions: the sync's <c>where</c>, above the floor, after the keyset's last record.</summary>
        private string Conditions(long? floorMs, (string Stamp, string Id)? after)
        {
            var conditions = new List<string>();
            if (Options.Where is { } where)
            {
                conditions.Add($"({where})");
            }

            if (floorMs is { } floor)
            {
                conditions.Add($"SystemModstamp > {SourceValues.SoqlInstant(DateTimeOffset.FromUnixTimeMilliseconds(floor))}");
            }

            if (after is var (stamp, lastId))
            {
                // Ties: many records share one stamp (a bulk update); the Id orders them, so a page ends inside a tie safely.
                conditions.Add($"(SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > {SourceValues.SoqlText(lastId)}))");
            }

            return string.Join(" AND ", conditions);
        }

        /// <summary>Deletes only getDeleted knows: records purged from the recycle bin (emptied, or hard-deleted) before a poll saw them there.</summary>
        public async IAsyncEnumerable<Change> PurgedAsync([EnumeratorCancellation] CancellationToken ct)
        {
            var now = Client.Time.GetUtcNow();
            var startMs = DeletedFromMs ?? now.ToUnixTimeMilliseconds() - _lookbackMs;
            var start = Minute(DateTimeOffset.FromUnixTimeMilliseconds(startMs));
            var oldest = Minute(now - DeletedReach).AddMinutes(2);
            if (start < oldest)
            {
                // Salesforce keeps the delete log 15 days; deletes before that are beyond any poll's reach.
                start = oldest;
            }

            var end = Minute(now).AddMinutes(1);
            var path = $"sobjects/{_resolved.ObjectName}/deleted/?start={Uri.EscapeDataString(Iso(start))}&end={Uri.EscapeDataString(Iso(end))}";
            long covered;
            var purged = new List<(string Id, long DeletedMs)>();
            using (var json = await Client.GetJsonAsync(path, ct))
            {
                var root = json.RootElement;
                covered = root.TryGetProperty("latestDateCovered", out var latest) && latest.GetString() is { } text
                    ? SourceValues.ParseInstant(text).ToUnixTimeMilliseconds()
                    : now.ToUnixTimeMilliseconds();
                if (root.TryGetProperty("deletedRecords", out var records))
                {
                    foreach (var record in records.EnumerateArray())
                    {
                        purged.Add((record.GetProperty("id").GetString()!, SourceValues.ParseInstant(record.GetProperty("deletedDate").GetString()!).ToUnixTimeMilliseconds()));
                    }
                }
            }

            foreach (var (id, deletedMs) in purged.OrderBy(p => p.DeletedMs))
            {
                if (_window.Delivered(id, deletedMs, deleted: true))
                {
                    continue;
                }

                _sequence = _window.Add(id, deletedMs, deleted: true);
                var values = new object?[_resolved.Select.Count];
                values[_id] = id;
                values[_stamp] = DateTimeOffset.FromUnixTimeMilliseconds(deletedMs);
                yield return Delete(values, Position(null, loading: false));
            }

            // The next call starts a lookback before what this one covered: a delete logged late is found then.
            var next = covered - _lookbackMs;
            DeletedFromMs = DeletedFromMs is { } from ? Math.Max(from, next) : next;
        }

        /// <summary>The rows of a REST query (through queryAll, so deleted records come too), every page of it.</summary>
        public async IAsyncEnumerable<object?[]> QueryAsync(string soql, [EnumeratorCancellation] CancellationToken ct, Action<DateTimeOffset>? answeredAt = null)
        {
            string? path = "queryAll?q=" + Uri.EscapeDataString(soql);
            while (path is not null)
            {
                using var json = await GetJsonAsync(path, answeredAt, ct);
                var root = json.RootElement;
                foreach (var record in root.GetProperty("records").EnumerateArray())
                {
                    var values = new object?[_resolved.Select.Count];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = ValueOf(record, _resolved.Select[i]);
                    }

                    yield return values;
                }

                path = root.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.False && root.TryGetProperty("nextRecordsUrl", out var next)
                    ? next.GetString()
                    : null;
            }
        }

        /// <summary>GETs a JSON answer and tells <paramref name="answeredAt"/> the org's time on it (its <c>Date</c> header).</summary>
        private async Task<JsonDocument> GetJsonAsync(string path, Action<DateTimeOffset>? answeredAt, CancellationToken ct)
        {
            using var response = await Client.SendAsync(HttpMethod.Get, path, () => null, retrySafe: true, ct);
            if (response.Headers.Date is { } date)
            {
                answeredAt?.Invoke(date);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            return await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        }

        public Change ChangeOf(object?[] values, SourcePosition position, bool loading) =>
            values[_deleted] is true ? Delete(values, position) : Upsert(values, position, loading ? ChangeKinds.Added : Kind(values));

        public SalesforcePosition Position(BulkQueryRow? row, bool loading) => new()
        {
            Loading = loading,
            Job = _job,
            Page = row?.Page,
            Row = row?.Index ?? -1,
            MaxMs = MaxMs,
            FloorMs = loading ? null : FloorMs,
            DeletedFromMs = DeletedFromMs,
            Window = _window,
            Sequence = _sequence,
            Lookback = Options.Lookback,
        };

        private Change Upsert(object?[] values, SourcePosition position, ChangeKinds kind) =>
            new((string)values[_id]!, ChangeOperation.Upsert, Project(values), position)
            {
                Kind = kind,
                Version = StampMs(values).ToString(CultureInfo.InvariantCulture),
            };

        /// <summary>
        /// A loaded row as an upsert: only the requested fields are parsed, straight into the change's values (the load's
        /// rows are all added, so <c>CreatedDate</c> and <c>IsDeleted</c> are not needed unless requested).
        /// </summary>
        private Change Loaded(int[] columns, Utf8CsvReader cells, string id, long stampMs, SourcePosition position)
        {
            var values = new object?[_requested.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var field = _requested[i];
                var cell = columns[field];
                values[i] = field == _id ? id
                    : cell >= 0 && cell < cells.Count ? SourceValues.FromUtf8Cell(cells, cell, _resolved.Select[field].Type)
                    : null;
            }

            return new Change(id, ChangeOperation.Upsert, values, position)
            {
                Kind = ChangeKinds.Added,
                Version = stampMs.ToString(CultureInfo.InvariantCulture),
            };
        }

        private Change Delete(object?[] values, SourcePosition position)
        {
            // A deleted record carries only its key, as every source's delete does.
            var key = new object?[values.Length];
            key[_id] = values[_id];
            return new Change((string)values[_id]!, ChangeOperation.Delete, Project(key), position)
            {
                Kind = ChangeKinds.Deleted,
                Version = values[_stamp] is DateTimeOffset stamp ? "deleted " + stamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "deleted",
            };
        }

        /// <summary>Created and not changed since (its stamp is its creation): added; otherwise changed.</summary>
        private ChangeKinds Kind(object?[] values) =>
            values[_created] is DateTimeOffset created && values[_stamp] is DateTimeOffset stamp && created == stamp ? ChangeKinds.Added : ChangeKinds.Changed;

        private object?[] Project(object?[] values)
        {
            var projected = new object?[_requested.Length];
            for (var i = 0; i < projected.Length; i++)
            {
                projected[i] = values[_requested[i]];
            }

            return projected;
        }

        private long StampMs(object?[] values) => ((DateTimeOffset)values[_stamp]!).ToUnixTimeMilliseconds();

        /// <summary>A Bulk results row's cells as values in the read's field order (<paramref name="columns"/>: each field's cell).</summary>
        private object?[] ValuesOf(int[] columns, Utf8CsvReader cells)
        {
            var values = new object?[columns.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = columns[i] >= 0 && columns[i] < cells.Count ? SourceValues.FromUtf8Cell(cells, columns[i], _resolved.Select[i].Type) : null;
            }

            return values;
        }

        private static long StampMs(Utf8CsvReader cells, int cell) =>
            ((DateTimeOffset)SourceValues.FromUtf8Cell(cells, cell, ColumnType.TimestampWithTimeZone)!).ToUnixTimeMilliseconds();

        private int[] HeaderColumns(string[] header) =>
            [.. _resolved.Select.Select(f => Array.FindIndex(header, h => h.Equals(f.Path, StringComparison.OrdinalIgnoreCase)))];

        private static object? ValueOf(JsonElement record, SourceField field)
        {
            var element = record;
            foreach (var step in field.Steps)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
                {
                    return null;
                }
            }

            return SourceValues.FromJson(element, field.Type);
        }

        private static DateTimeOffset Minute(DateTimeOffset instant) => new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

        private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);
    }
}
