using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Bulk;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Describe;

namespace Sluice.Salesforce.Destination;

/// <summary>
/// Writes records to one sObject by upsert (external id), update or insert, and deletes them on source deletes when
/// asked, through sObject Collections (≤ 200 records a request). Values are encoded by the object's describe; each
/// record's answer comes back with its Salesforce Id, which the engine keeps in the record ledger. A record whose Id
/// is known (the ledger, or found by <c>match:</c>) is updated by that Id, never created again.
/// </summary>
public sealed partial class SalesforceDestination : IDestination, IDestinationDiscovery, IRecordMatching, ICountsOwnRequests, IEarlyBatchWrites
{
    // sObject Collections take at most 200 records a request (MAX_DML_COUNT in jsforce; 400 above it).
    internal const int CollectionSize = 200;

    // Collection requests of one batch sent at once: Salesforce allows 25 long-running requests per org, shared with the org's other users.
    private const int CollectionsInFlight = 4;

    // Bulk API 2.0 takes up to 150 MB per upload (after base64); a batch of JSON payloads under 100 MB makes a smaller CSV.
    private const int MaxBatchBytes = 100 * 1024 * 1024;

    // Large batches let the Bulk path spend a handful of requests per 100,000 records; a small change set still
    // goes out as soon as the source has no more, through Collections below bulk_threshold.
    private const int MaxBatchRecords = 100_000;

    // Rounds of sending locked records again in halved collections before the engine is asked to retry them.
    internal const int LockRetryRounds = 4;

    private static readonly TimeSpan LockRetryPause = TimeSpan.FromMilliseconds(100);

    private readonly SalesforceClient _client;
    private readonly SalesforceDestinationOptions _options;
    private readonly string _syncName;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), string> _parentColumns = new();
    [ThreadStatic]
    private static (Utf8JsonWriter Writer, ArrayBufferWriter<byte> Buffer)? _jsonScratch;
    [ThreadStatic]
    private static IncrementalHash? _sha256;

    private byte[]? _headerPrefix;
    private Func<object, ReadOnlyMemory<byte>>? _payloadOf;
    private Func<EncodedRecord, string>? _messageIdOf;
    // A reference, swapped whole: records may be encoded on several threads.
    private Tuple<CompiledMapping, SObjectDescription, (FieldDescription? Description, SalesforceFieldOptions? Options)[]>? _fieldsOf;
    private SObjectDescription? _described;
    private MappingShape? _shape;

    internal SalesforceDestination(string syncName, SalesforceClient client, SalesforceDestinationOptions options)
    {
        _syncName = syncName;
        _client = client;
        _options = options;
        Description = $"Salesforce {options.Object} ({options.Operation.ToString().ToLowerInvariant()}, connection '{client.Options.Name}')";
        // 400,000 characters per record is Bulk API 2.0's limit, and no record passes through Collections that it would refuse.
        Limits = new DestinationLimits(MaxBatchRecords, MaxBatchBytes, 400_000, client.Options.MaxParallelJobs);
    }

    public string Description { get; }

    /// <summary>
    /// The object's writable fields and parent relationships, known only from its describe: read after
    /// <see cref="DiscoverAsync"/> (as <c>DestinationShapes.ResolveAsync</c> does), or it describes the object first, blocking.
    /// </summary>
    public MappingShape Shape => _shape ?? DiscoverAsync(CancellationToken.None).GetAwaiter().GetResult();

    public DestinationLimits Limits { get; }

    /// <summary>
    /// The most CSV one Bulk upload carries. Salesforce refuses an upload over 150 MB (and 150 million characters) and
    /// recommends 100 MB; a batch whose CSV would be larger goes as several jobs. Tests set it small.
    /// </summary>
    internal long MaxUploadBytes { get; init; } = 100_000_000;

    private string ObjectName => _described?.Name ?? _options.Object;

    public bool AcceptsDeletes => _options.Delete;

    /// <summary>
    /// Every path writes from what <see cref="Encode"/> made — the JSON payload, the Bulk cells, the key — and
    /// <c>match:</c> reads the payload. The engine still keeps the values while destination ids are known (always here):
    /// releasing them for this destination was tried and reverted while a two-way sync's echo failure is explained.
    /// </summary>
    public bool WritesPayloadsOnly => true;

    /// <summary>Salesforce gives every record an Id; the ledger keeps it so later runs and explain know it.</summary>
    public bool RemembersRecords => true;

    public bool Sends(Change change) => change.Operation != ChangeOperation.Delete || _options.Delete;

    public async Task CheckAsync(CancellationToken ct)
    {
        await _client.LoginAsync(ct);
        await DiscoverAsync(ct);
    }

    public async Task<MappingShape> DiscoverAsync(CancellationToken ct)
    {
        SObjectDescription described;
        try
        {
            described = await _client.DescribeAsync(_options.Object, ct);
        }
        catch (SluiceException e) when (e.Message.Contains("NOT_FOUND", StringComparison.Ordinal) || e.Message.Contains(" 404 ", StringComparison.Ordinal))
        {
            throw new ConfigException(_options.ObjectLocation, $"Salesforce has no object '{_options.Object}' that connection '{_client.Options.Name}' can see",
                "check the API name (custom objects end in __c) and that the integration user's profile or permission set can read it");
        }

        var allowed = _options.Operation switch
        {
            SalesforceOperation.Insert => described.Createable,
            SalesforceOperation.Update => described.Updateable,
            _ => described.Createable && described.Updateable,
        };
        if (!allowed)
        {
            throw new ConfigException(_options.ObjectLocation, $"the integration user may not {_options.Operation.ToString().ToLowerInvariant()} {described.Name} records",
                "grant Create and Edit on the object in the user's profile or a permission set");
        }

        if (_options.Delete && !described.Deletable)
        {
            throw new ConfigException(_options.ObjectLocation, $"'delete: true', but the integration user may not delete {described.Name} records",
                "grant Delete on the object, or remove 'delete: true'");
        }

        if (_options.ExternalId is { } ext && (!described.ByName.TryGetValue(ext, out var extField) || !(extField.ExternalId || extField.IdLookup)))
        {
            throw new ConfigException(_options.ExternalIdLocation, $"{described.Name} has no external-id field '{ext}'",
                $"mark the field 'External ID' in Setup, or use one of: {string.Join(", ", described.Fields.Where(f => f.ExternalId).Select(f => f.Name).DefaultIfEmpty("(none)"))}");
        }

        foreach (var name in _options.Fields.Keys.Where(n => !described.ByName.ContainsKey(n)))
        {
            throw new ConfigException(_options.Fields[name].Location, $"{described.Name} has no field '{name}'", "check the field's API name (custom fields end in __c)");
        }

        var targets = new List<MappingTarget>();
        foreach (var field in described.Fields)
        {
            // Field-level access: a field the user cannot write for this operation is not offered, so mapping it fails at start.
            var writable = _options.Operation switch
            {
                SalesforceOperation.Insert => field.Createable,
                SalesforceOperation.Update => field.Updateable || field.Name == "Id",
                _ => field.Createable || field.Updateable,
            };
            if (!writable)
            {
                continue;
            }

            var required = _options.Operation == SalesforceOperation.Upsert && string.Equals(field.Name, _options.ExternalId, StringComparison.OrdinalIgnoreCase);
            targets.Add(new MappingTarget(field.Name, false, required, $"{field.Type}{(field.Length > 0 ? $"({field.Length})" : "")}"));
            if (field.Type == "reference" && field.RelationshipName is { } relationship)
            {
                targets.Add(new MappingTarget(relationship, true, false, $"the {string.Join("/", field.ReferenceTo)} by an external id, e.g. {{External_Id__c: account_id}}"));
            }
        }

        if (_options.Operation == SalesforceOperation.Update && described.ByName.ContainsKey("Id"))
        {
            targets.Add(new MappingTarget("Id", false, false, "the record's Salesforce Id"));
        }

        IReadOnlyList<IReadOnlyList<string>> anyOf = _options.Operation == SalesforceOperation.Update
            ? [_options.ExternalId is { } e2 ? ["Id", e2] : ["Id"]]
            : [];
        _described = described;
        _shape = new MappingShape($"Salesforce {described.Name}", targets.DistinctBy(t => t.Name).ToList(), anyOf);
        return _shape;
    }

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        if (_described is null)
        {
            _ = Shape;
        }

        var described = _described!;
        var count = change.Operation == ChangeOperation.Delete ? 0 : mapping.Fields.Count;
        var cells = new (string Column, string Text)[count];
        var fields = FieldsOf(mapping, described);
        Span<BulkCellKind> kinds = count <= 64 ? stackalloc BulkCellKind[count] : new BulkCellKind[count];
        // The payload's length, exact while every name and text is plain (nothing the JSON writer escapes).
        var size = 2 + Math.Max(0, count - 1);
        var plain = true;
        for (var i = 0; i < count; i++)
        {
            (cells[i], kinds[i]) = Cell(described, mapping.Fields[i], fields[i], change);
            size += JsonBytes(cells[i], kinds[i], ref plain);
        }

        if (plain && count > 0 && count <= BulkRecord.MaxKindCells)
        {
            // The payload and the message id (a hash over it) are made when first asked for: on the Bulk path while the
            // job is processed (WriteBulkAsync), not while the batch is read and uploaded; the payload is kept by nothing.
            return new EncodedRecord(change, new BulkRecord(cells, kinds), _payloadOf ??= PayloadOf, _messageIdOf ??= MessageIdOf, size);
        }

        var (writer, buffer) = JsonScratch();
        BulkRecord.WriteJson(writer, cells, kinds);
        writer.Flush();
        var payload = buffer.WrittenSpan.ToArray();
        // The Bulk path writes its CSV from the same values, kept here, rather than parsing the JSON back.
        return new EncodedRecord(change, MessageId(change, buffer.WrittenSpan), payload) { Prepared = new BulkRecord(cells) };
    }

    /// <summary>A deferred record's payload, written from its cells.</summary>
    private static ReadOnlyMemory<byte> PayloadOf(object prepared)
    {
        var (writer, buffer) = JsonScratch();
        ((BulkRecord)prepared).WriteJson(writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A deferred record's message id, hashed over its payload written into the thread's scratch buffer (and not kept).</summary>
    private string MessageIdOf(EncodedRecord record)
    {
        var (writer, buffer) = JsonScratch();
        ((BulkRecord)record.Prepared!).WriteJson(writer);
        writer.Flush();
        return MessageId(record.Change, buffer.WrittenSpan);
    }

    /// <summary>The thread's JSON writer and buffer, emptied: one per thread, reset for each record, not one of each per record.</summary>
    private static (Utf8JsonWriter Writer, ArrayBufferWriter<byte> Buffer) JsonScratch()
    {
        var (writer, buffer) = _jsonScratch ??= NewJsonScratch();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        return (writer, buffer);
    }

    /// <summary>
    /// The cell's bytes in the JSON payload (its separator not counted) when its column and text are plain; otherwise
    /// <paramref name="plain"/> turns false and the payload is written at once, its length then known.
    /// </summary>
    private static int JsonBytes((string Column, string Text) cell, BulkCellKind kind, ref bool plain)
    {
        var (column, text) = cell;
        plain &= IsPlain(column);
        switch (kind)
        {
            case BulkCellKind.Null:
                return column.Length + 7; // "c":null
            case BulkCellKind.Raw:
                return column.Length + 3 + text.Length; // "c":12 — digits, a sign, a point, true or false: never escaped
            case BulkCellKind.Parent:
                plain &= IsPlain(text);
                return column.Length + text.Length + 9; // "r":{"f":"t"}, the column being r.f
            default:
                plain &= IsPlain(text);
                return column.Length + text.Length + 5; // "c":"t"
        }
    }

    /// <summary>Text the JSON writer (its default encoder) writes as it is: letters, digits and a few marks, nothing it escapes.</summary>
    private static bool IsPlain(string text) => !text.AsSpan().ContainsAnyExcept(PlainJson);

    private static readonly SearchValues<char> PlainJson = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:,/@");

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        var deletes = Enumerable.Range(0, batch.Count).Where(i => batch[i].Change.Operation == ChangeOperation.Delete).ToList();
        var writes = Enumerable.Range(0, batch.Count).Where(i => batch[i].Change.Operation != ChangeOperation.Delete).ToList();
        await MatchUnlookedAsync(batch, writes, ct);
        // A record whose Id is known is updated by it, whatever the operation: an upsert or insert would create a second record.
        var byId = writes.Where(i => batch[i].KnownDestinationId is not null).ToList();
        var rest = writes.Where(i => batch[i].KnownDestinationId is null).ToList();
        if (writes.Count >= _options.BulkThreshold)
        {
            await WriteBulkAsync(batch, rest, results, ct);
            await UpdateBulkByIdAsync(batch, byId, results, ct);
        }
        else
        {
            var chunks = rest.Chunk(CollectionSize).Select(c => (Chunk: c, ById: false)).Concat(byId.Chunk(CollectionSize).Select(c => (Chunk: c, ById: true)));
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = CollectionsInFlight, CancellationToken = ct },
                async (work, c) =>
                {
                    if (work.ById)
                    {
                        await UpdateChunkByIdAsync(batch, work.Chunk, results, c);
                    }
                    else
                    {
                        await WriteChunkAsync(batch, work.Chunk, results, c);
                    }
                });
        }

        await RecreateDeletedAsync(batch, byId, results, ct);
        foreach (var chunk in deletes.Chunk(CollectionSize))
        {
            await DeleteChunkAsync(batch, chunk, results, ct);
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        // Uploads started early for batches never written (the run stopped) are aborted: nothing of them is processed.
        BulkEarlyUpload[] left;
        lock (_early)
        {
            left = [.. _early];
        }

        foreach (var early in left)
        {
            await early.DisposeAsync();
        }
    }

    /// <summary>Each mapped field's describe and options, looked up once per mapping rather than by name for every record.</summary>
    private (FieldDescription? Description, SalesforceFieldOptions? Options)[] FieldsOf(CompiledMapping mapping, SObjectDescription described)
    {
        if (_fieldsOf is { } known && ReferenceEquals(known.Item1, mapping) && ReferenceEquals(known.Item2, described))
        {
            return known.Item3;
        }

        var fields = mapping.Fields
            .Select(f => f.IsBranch ? (null, null) : (described.ByName[f.Target], _options.Fields.GetValueOrDefault(described.ByName[f.Target].Name)))
            .ToArray();
        _fieldsOf = Tuple.Create(mapping, described, fields);
        return fields;
    }

    private ((string Column, string Text) Cell, BulkCellKind Kind) Cell(SObjectDescription described, CompiledField field, (FieldDescription? Description, SalesforceFieldOptions? Options) known, Change change)
    {
        if (field.IsBranch)
        {
            // A parent by its external id: `Account: {External_Id__c: account_id}` → "Account": {"External_Id__c": "…"}.
            var reference = described.ByRelationship[field.Target];
            if (field.Children!.Count != 1 || field.Children[0].IsBranch)
            {
                throw new SluiceException(ErrorClass.RecordRejected, $"'{field.Target}' names its parent by exactly one external-id field, e.g. {{External_Id__c: account_id}}");
            }

            var child = field.Children[0];
            var value = child.Read(change);
            if (value is null or DBNull)
            {
                return ((reference.Name, SalesforceValue.CsvNull), BulkCellKind.Null);
            }

            var text = SalesforceFieldEncoder.Text(value, child.Column!.Type);
            return ((ParentColumn(reference.RelationshipName!, child.Target), text), BulkCellKind.Parent);
        }

        var description = known.Description!;
        var encoded = SalesforceFieldEncoder.Encode(description, known.Options, field.Read(change), field.Column!.Type);
        var kind = encoded.IsNull ? BulkCellKind.Null : encoded.IsRaw ? BulkCellKind.Raw : BulkCellKind.Text;
        return ((description.Name, encoded.CsvText()), kind);
    }

    /// <summary>A parent's column, <c>Account.External_Id__c</c>: one string per mapping, not one per record.</summary>
    private string ParentColumn(string relationship, string externalId)
    {
        var key = (relationship, externalId);
        if (!_parentColumns.TryGetValue(key, out var column))
        {
            column = relationship + "." + externalId;
            _parentColumns.TryAdd(key, column);
        }

        return column;
    }

    private async Task WriteChunkAsync(IReadOnlyList<EncodedRecord> batch, int[] chunk, WriteResult[] results, CancellationToken ct)
    {
        var objectName = _described?.Name ?? _options.Object;
        var pending = chunk.ToList();
        var ids = new Dictionary<int, string>();
        if (_options.Operation == SalesforceOperation.Update)
        {
            pending = await MatchForUpdateAsync(batch, chunk, ids, results, ct);
            if (pending.Count == 0)
            {
                return;
            }
        }

        await SendCollectionAsync(batch, pending, ids, results, ct);
        await ResendLockedAsync(batch, pending, ids, results, ct);
    }

    /// <summary>
    /// Records refused with <c>UNABLE_TO_LOCK_ROW</c> (another transaction held them or a parent they share) sent
    /// again in collections of half as many, a bounded number of rounds with a short pause, before they are answered
    /// Retry for the engine: smaller saves touch fewer shared parents and so meet fewer locks.
    /// </summary>
    private async Task ResendLockedAsync(IReadOnlyList<EncodedRecord> batch, List<int> sent, Dictionary<int, string> ids, WriteResult[] results, CancellationToken ct)
    {
        var locked = sent.Where(i => IsLocked(results[i])).ToList();
        var size = sent.Count;
        for (var round = 0; round < LockRetryRounds && locked.Count > 0; round++)
        {
            await Task.Delay(LockRetryPause * (1 << round), _client.Time, ct);
            size = Math.Max(1, Math.Min(size, locked.Count) / 2);
            foreach (var smaller in locked.Chunk(size))
            {
                await SendCollectionAsync(batch, [.. smaller], ids, results, ct);
            }

            locked = [.. locked.Where(i => IsLocked(results[i]))];
        }
    }

    private static bool IsLocked(WriteResult result) =>
        result.Status == WriteStatus.Retry && result.Reason?.StartsWith("UNABLE_TO_LOCK_ROW", StringComparison.Ordinal) == true;

    private async Task SendCollectionAsync(IReadOnlyList<EncodedRecord> batch, List<int> pending, Dictionary<int, string> ids, WriteResult[] results, CancellationToken ct)
    {
        var objectName = _described?.Name ?? _options.Object;
        var body = new ArrayBufferWriter<byte>(pending.Count * 256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("allOrNone", false);
            writer.WriteStartArray("records");
            foreach (var index in pending)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("attributes");
                writer.WriteString("type", objectName);
                writer.WriteEndObject();
                if (ids.TryGetValue(index, out var id))
                {
                    writer.WriteString("Id", id);
                }

                using var record = JsonDocument.Parse(batch[index].Payload);
                foreach (var property in record.RootElement.EnumerateObject())
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var bytes = body.WrittenMemory.ToArray();
        var (method, path, retrySafe) = _options.Operation switch
        {
            // Find-or-create (match: without external_id): what was not found is created.
            SalesforceOperation.Upsert when _options.ExternalId is null => (HttpMethod.Post, "composite/sobjects", false),
            SalesforceOperation.Upsert => (HttpMethod.Patch, $"composite/sobjects/{objectName}/{_options.ExternalId}", true),
            SalesforceOperation.Update => (HttpMethod.Patch, "composite/sobjects", true),
            _ => (HttpMethod.Post, "composite/sobjects", false),
        };
        using var answer = await _client.SendJsonAsync(method, path, bytes, retrySafe, ct);
        var items = answer?.RootElement.EnumerateArray().ToList() ?? [];
        for (var i = 0; i < pending.Count; i++)
        {
            results[pending[i]] = i < items.Count ? Settle(items[i]) : WriteResult.Retry("Salesforce answered fewer results than records were sent");
        }
    }

    /// <summary>
    /// For <c>operation: update</c>: the records' Ids, from the mapped <c>Id</c> or found by the external id (one SOQL
    /// query per ≤ 200 keys). A record with no match is answered here and never created.
    /// </summary>
    private async Task<List<int>> MatchForUpdateAsync(IReadOnlyList<EncodedRecord> batch, int[] chunk, Dictionary<int, string> ids, WriteResult[] results, CancellationToken ct)
    {
        var byExternal = new Dictionary<int, string>();
        var pending = new List<int>();
        foreach (var index in chunk)
        {
            using var record = JsonDocument.Parse(batch[index].Payload);
            if (record.RootElement.TryGetProperty("Id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                pending.Add(index);
            }
            else if (_options.ExternalId is { } ext && record.RootElement.TryGetProperty(ext, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                byExternal[index] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
            else
            {
                results[index] = WriteResult.Rejected($"no Salesforce Id to update: the record has no {(_options.ExternalId is null ? "Id" : $"Id or {_options.ExternalId}")} (operation: update never creates records)");
            }
        }

        if (byExternal.Count > 0)
        {
            var found = await FindIdsAsync(byExternal.Values.Distinct().ToList(), ct);
            foreach (var (index, value) in byExternal)
            {
                if (found.TryGetValue(value, out var id))
                {
                    ids[index] = id;
                    pending.Add(index);
                }
                else
                {
                    results[index] = WriteResult.Rejected($"not in Salesforce: no {_options.Object} has {_options.ExternalId} = '{value}', and operation: update never creates records");
                }
            }
        }

        return pending;
    }

    private async Task DeleteChunkAsync(IReadOnlyList<EncodedRecord> batch, int[] chunk, WriteResult[] results, CancellationToken ct)
    {
        // The ledger's Id first; the external id finds the rest (a record sent before the ledger knew it).
        var unknown = chunk.Where(i => batch[i].KnownDestinationId is null).Select(i => batch[i].Change.Key).Distinct().ToList();
        var found = unknown.Count > 0 && _options.ExternalId is not null ? await FindIdsAsync(unknown, ct) : [];
        var toDelete = new List<(int Index, string Id)>();
        foreach (var index in chunk)
        {
            if ((batch[index].KnownDestinationId ?? found.GetValueOrDefault(batch[index].Change.Key)) is { } id)
            {
                toDelete.Add((index, id));
            }
            else
            {
                // Nothing to delete: the record never reached Salesforce or is gone already.
                results[index] = WriteResult.Ok;
            }
        }

        if (toDelete.Count == 0)
        {
            return;
        }

        var path = "composite/sobjects?allOrNone=false&ids=" + string.Join(",", toDelete.Select(d => d.Id));
        using var response = await _client.SendAsync(HttpMethod.Delete, path, () => null, retrySafe: true, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var answer = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        var items = answer.RootElement.EnumerateArray().ToList();
        for (var i = 0; i < toDelete.Count; i++)
        {
            var result = i < items.Count ? Settle(items[i]) : WriteResult.Retry("Salesforce answered fewer results than records were sent");
            results[toDelete[i].Index] = result.Status == WriteStatus.Rejected && result.Reason!.StartsWith("ENTITY_IS_DELETED", StringComparison.Ordinal)
                ? WriteResult.Acknowledged(toDelete[i].Id)
                : result;
        }
    }

    /// <summary>Salesforce Ids by external-id value: <c>SELECT Id, Ext FROM Object WHERE Ext IN (…)</c>, one query per ≤ 200 values.</summary>
    private Task<Dictionary<string, string>> FindIdsAsync(IReadOnlyList<string> values, CancellationToken ct) =>
        FindIdsAsync(_options.ExternalId!, values, StringComparer.Ordinal, ct);

    /// <summary>Salesforce Ids by the value of <paramref name="ext"/>: one query per ≤ 200 values (fewer for long values, see <see cref="LookupQueries"/>); the first record found for a value wins.</summary>
    private async Task<Dictionary<string, string>> FindIdsAsync(string ext, IReadOnlyList<string> values, StringComparer comparer, CancellationToken ct)
    {
        var found = new Dictionary<string, string>(comparer);
        foreach (var soql in LookupQueries(ext, values))
        {
            string? next = "query?q=" + Uri.EscapeDataString(soql);
            while (next is not null)
            {
                using var page = await _client.GetJsonAsync(next, ct);
                foreach (var record in page.RootElement.GetProperty("records").EnumerateArray())
                {
                    var value = record.GetProperty(ext);
                    if (value.ValueKind != JsonValueKind.Null)
                    {
                        found.TryAdd(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(), record.GetProperty("Id").GetString()!);
                    }
                }

                next = page.RootElement.TryGetProperty("nextRecordsUrl", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null;
            }
        }

        return found;
    }

    /// <summary>
    /// The lookup queries for <paramref name="values"/>: at most 200 values each, and short enough that the encoded URL
    /// stays far below the 16,384 bytes of URI and headers Salesforce takes (it answers 414 past them) — long keys
    /// such as emails would otherwise pass it well before 200.
    /// </summary>
    private IEnumerable<string> LookupQueries(string ext, IReadOnlyList<string> values)
    {
        const int MaxEncodedQuery = 6_000;
        var head = $"SELECT Id, {ext} FROM {_options.Object} WHERE {ext} IN (";
        var literals = new List<string>();
        var length = Uri.EscapeDataString(head).Length + 3;
        foreach (var value in values)
        {
            var literal = Quote(value);
            var encoded = Uri.EscapeDataString(literal).Length + 3; // and its encoded comma
            if (literals.Count > 0 && (literals.Count == CollectionSize || length + encoded > MaxEncodedQuery))
            {
                yield return head + string.Join(",", literals) + ")";
                literals.Clear();
                length = Uri.EscapeDataString(head).Length + 3;
            }

            literals.Add(literal);
            length += encoded;
        }

        if (literals.Count > 0)
        {
            yield return head + string.Join(",", literals) + ")";
        }
    }

    /// <summary>
    /// A SOQL string literal: backslash, both quotes and the control characters SOQL knows are escaped with a backslash,
    /// so a value can never end the literal and change the query.
    /// </summary>
    internal static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '\\' => "\\\\",
                '\'' => "\\'",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ => c.ToString(),
            });
        }

        return quoted.Append('\'').ToString();
    }

    /// <summary>One collection answer as the engine's result: the Id when saved; the error code and message when not.</summary>
    internal static WriteResult Settle(JsonElement item)
    {
        if (item.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.True)
        {
            return WriteResult.Acknowledged(item.TryGetProperty("id", out var id) ? id.GetString() : null);
        }

        var errors = item.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(SalesforceApiError.From).ToList()
            : [];
        return Classify(errors.Count > 0 ? errors : [new SalesforceApiError("UNKNOWN", "Salesforce gave no reason")]);
    }

    /// <summary>
    /// A Bulk API 2.0 <c>sf__Error</c> (<c>STATUSCODE:message:fields --</c>, e.g.
    /// <c>REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --</c>) as the engine's result.
    /// </summary>
    internal static WriteResult SettleBulkError(string error)
    {
        var text = error.EndsWith(" --", StringComparison.Ordinal) ? error[..^3] : error;
        var first = text.IndexOf(':', StringComparison.Ordinal);
        if (first < 0)
        {
            return Classify([new SalesforceApiError("UNKNOWN", text)]);
        }

        var last = text.LastIndexOf(':');
        var message = last > first ? text[(first + 1)..last] : text[(first + 1)..];
        return Classify([new SalesforceApiError(text[..first], message)]);
    }

    private static WriteResult Classify(IReadOnlyList<SalesforceApiError> errors)
    {
        var reason = string.Join("; ", errors);
        var code = errors[0].Code;
        return code switch
        {
            // Another transaction held the row, or a record next to it failed under allOrNone: sending again works.
            "UNABLE_TO_LOCK_ROW" or "ALL_OR_NONE_OPERATION_ROLLED_BACK" => WriteResult.Retry(reason, TimeSpan.FromSeconds(2)),
            // The parent is not in Salesforce yet: the record waits for it rather than being given up.
            "INVALID_CROSS_REFERENCE_KEY" => Waiting(reason),
            "INVALID_FIELD" when errors[0].Message.Contains("Foreign key external ID", StringComparison.OrdinalIgnoreCase) => Waiting(reason),
            _ => WriteResult.Rejected(reason),
        };
    }

    /// <summary>
    /// A record whose parent is missing: it waits (the ledger says so, <c>sluice explain</c> shows why) and the engine
    /// offers it again at the sync's next run, when the parent's sync may have sent the parent.
    /// </summary>
    private static WriteResult Waiting(string reason) => WriteResult.Waiting($"waiting for its parent: {reason}");

    /// <summary>
    /// <c>sluice-</c> and the first 16 bytes of SHA-256 over <c>sync\nobject\noperation\nkey\nversion\n</c> and the
    /// payload, in hex. Hashed by one hash per thread, reset after each use (<c>SHA256.HashData</c>
    /// sets up and frees an OpenSSL context per call), fed the header from a pooled buffer and then the payload.
    /// </summary>
    private string MessageId(Change change, ReadOnlySpan<byte> payload)
    {
        var operation = change.Operation.ToString();
        var key = change.Key;
        var version = change.Version ?? "";
        var utf8 = Encoding.UTF8;
        var headerPrefix = HeaderPrefix;
        var size = headerPrefix.Length + utf8.GetMaxByteCount(operation.Length + key.Length + version.Length) + 3;
        var rented = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var at = headerPrefix.Length;
            headerPrefix.CopyTo(rented, 0);
            at += utf8.GetBytes(operation, rented.AsSpan(at));
            rented[at++] = (byte)'\n';
            at += utf8.GetBytes(key, rented.AsSpan(at));
            rented[at++] = (byte)'\n';
            at += utf8.GetBytes(version, rented.AsSpan(at));
            rented[at++] = (byte)'\n';
            var sha = _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(rented, 0, at);
            sha.AppendData(payload);
            Span<byte> hash = stackalloc byte[32];
            sha.GetHashAndReset(hash);
            Span<char> id = stackalloc char[7 + 32];
            "sluice-".CopyTo(id);
            Convert.TryToHexStringLower(hash[..16], id[7..], out _);
            return new string(id);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary><c>sync\nobject\n</c> in UTF-8: the start of every message id's header.</summary>
    private byte[] HeaderPrefix => _headerPrefix ??= Encoding.UTF8.GetBytes($"{_syncName}\n{_options.Object}\n");

    private static (Utf8JsonWriter Writer, ArrayBufferWriter<byte> Buffer) NewJsonScratch()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        return (new Utf8JsonWriter(buffer), buffer);
    }
}
