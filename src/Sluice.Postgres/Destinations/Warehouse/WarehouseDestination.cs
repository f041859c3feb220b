using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Warehouse.Internal;
using Sluice.Segment.Protocol;
using Sluice.State.Ingest;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Loads Segment events (from an ingest source) into a PostgreSQL schema laid out as Segment's warehouse
/// (<c>layout: warehouse</c>; docs/warehouse-schema.md). Per batch: plan each event's rows
/// (<see cref="WarehouseRowPlanner"/>), create the tables and columns they need (<c>WarehouseSchemaEvolver</c>), fit
/// the values to the columns' types (<see cref="WarehouseTypeReconciler"/>; what does not fit goes to
/// <c>discards</c>), then write everything in one transaction, skipping events already loaded. A batch lands whole or
/// not at all, so a retry after a crash is harmless.
/// </summary>
internal sealed class WarehouseDestination : IDestination, ICallLabels
{
    /// <summary>The ingest source's columns this destination reads (common brief, "Ingest contract").</summary>
    public const string PayloadColumn = "payload";

    public const string KindColumn = "kind";

    public const string EventIdColumn = "event_id";

    /// <summary>
    /// Events per batch, and so the most the loader holds at once: every event of a batch is planned (its rows and
    /// cells as objects, several KB per event) before the schema is evolved and the batch loaded in one transaction.
    /// 5,000 held 40–80 MB of planned rows per batch, long-lived enough for the GC to promote them, and the process
    /// peaked at 425–485 MB; a fifth of that keeps it far lower at the cost of a few more commits per second.
    /// One writer per sync keeps DDL and load order simple.
    /// </summary>
    internal const int MaxRecords = 1_000;
    private const int MaxBatchBytes = 64 * 1024 * 1024;
    private const int MaxRecordBytes = 8 * 1024 * 1024;

    private readonly NpgsqlDataSource _dataSource;
    private readonly WarehouseDestinationOptions _options;
    private readonly WarehouseErrors _errors;
    private readonly WarehouseSchemaEvolver _evolver;
    private readonly WarehouseLoader _loader;
    private CompiledMapping? _resolved;
    private (int Payload, int Kind, int EventId) _ordinals;

    public WarehouseDestination(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, WarehouseDestinationOptions options)
    {
        _dataSource = dataSource;
        _options = options;
        _errors = new WarehouseErrors(connection, options.Schema);
        _evolver = new WarehouseSchemaEvolver(dataSource, options.Schema, options.DdlLockTimeout, options.MaxColumns, _errors);
        _loader = new WarehouseLoader(options.Schema);
        Description = $"PostgreSQL warehouse schema '{options.Schema}' ({connection.Describe()})";
        var location = options.Location ?? new ConfigLocation("(options)", 0, 0, "destination");
        Shape = new MappingShape("the PostgreSQL warehouse", [], [])
        {
            ExtraColumns = [(EventIdColumn, location), (KindColumn, location), (PayloadColumn, location)],
        };
        Limits = new DestinationLimits(MaxRecords, MaxBatchBytes, MaxRecordBytes, MaxInFlight: 1)
        {
            // Events arrive one by one from the ingest queue; a second's wait makes batches, and transactions, fewer.
            FlushWindow = TimeSpan.FromSeconds(1),
        };
    }

    public string Description { get; }

    public MappingShape Shape { get; }

    public DestinationLimits Limits { get; }

    /// <summary>
    /// A batch is planned from the payloads alone (and keyed by the message ids): the engine may drop each change's
    /// values once it is encoded, so a batch of 1,000 events waiting for its transaction does not also hold every event's
    /// JSON a second time as a string (≈ 2 KB each), which the collector would otherwise promote with the batch.
    /// </summary>
    public bool WritesPayloadsOnly => true;

    /// <summary>Fails with the grant to apply when the user can neither create the schema nor use it.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("""
                SELECT n.oid IS NOT NULL,
                       CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
                            ELSE has_schema_privilege(n.oid, 'USAGE, CREATE') END
                FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _options.Schema });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (exists, allowed) = (reader.GetBoolean(0), reader.GetBoolean(1));
            if (!allowed)
            {
                var step = exists ? WarehouseStep.CreateTable : WarehouseStep.CreateSchema;
                throw SluiceException.Fatal(
                    $"{Description}: the user may not {(exists ? "create tables in the schema" : "create the schema")}; fix: {_errors.Grant(step, null)}");
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw _errors.Translate(e, WarehouseStep.ReadCatalog);
        }
    }

    /// <summary>The event's JSON as the ingest queue holds it, keyed by its messageId, so a dead letter can be replayed
    /// as it came. An envelope event (<c>POST /v1/events</c>) has no place in Segment's schema and is rejected.</summary>
    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        Resolve(mapping);
        if (_ordinals.Kind >= 0 && change.Values[_ordinals.Kind] is string kind && kind != IngestEventKind.Segment)
        {
            throw new SluiceException(ErrorClass.RecordRejected,
                $"the event is a {kind} event; the warehouse layout loads Segment calls (identify, track, page, screen, group, alias) only — send envelopes to an events table (destination 'table:')");
        }

        var payload = change.Values[_ordinals.Payload] switch
        {
            string text => Encoding.UTF8.GetBytes(text),
            byte[] bytes => bytes,
            null => throw new SluiceException(ErrorClass.RecordRejected, "the event has no payload"),
            var other => throw new SluiceException(ErrorClass.RecordRejected, $"the payload column holds {other.GetType().Name}, not JSON text"),
        };
        return new EncodedRecord(change, MessageId(payload) ?? EventId(change), payload);
    }

    /// <summary>The payload is the Segment call as ingested: named as the Segment Spec names it.</summary>
    public string? LabelOf(ReadOnlySpan<byte> payload) => SegmentMessage.LabelOf(payload);

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        var plans = new List<(int Index, WarehousePlan Plan)>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            // The warehouse keys each event's rows by its message id (the tables' id column).
            results[i] = WriteResult.Acknowledged(batch[i].MessageId);
            try
            {
                using var json = JsonDocument.Parse(batch[i].Payload);
                plans.Add((i, WarehouseRowPlanner.Plan(json.RootElement)));
            }
            catch (JsonException e)
            {
                results[i] = WriteResult.Rejected($"the event is not valid JSON: {e.Message}");
            }
            catch (SluiceException e) when (e.Class == ErrorClass.RecordRejected)
            {
                results[i] = WriteResult.Rejected(e.Message);
            }
        }

        if (plans.Count == 0)
        {
            return results;
        }

        var refused = await LoadAsync(plans, ct);
        foreach (var (index, reason) in refused)
        {
            results[index] = WriteResult.Rejected(reason);
        }

        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Loads the planned events; returns the ones PostgreSQL refused, with the reason.</summary>
    private async Task<IReadOnlyDictionary<int, string>> LoadAsync(List<(int Index, WarehousePlan Plan)> plans, CancellationToken ct)
    {
        var rows = plans.SelectMany(p => p.Plan.Rows).ToList();
        for (var attempt = 1; ; attempt++)
        {
            var catalog = await _evolver.EnsureAsync(rows, ct);
            var events = plans.Select(p => Reconcile(p.Index, p.Plan, catalog, _options.MaxColumns)).ToList();
            try
            {
                return await LoadAsync(events, catalog, ct);
            }
            catch (PostgresException e) when (WarehouseErrors.IsStaleCatalog(e) && attempt == 1)
            {
                // A table or column went away or changed type since the catalog was read: read it again, recreate.
                _evolver.Invalidate();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                if (e is PostgresException pg && WarehouseErrors.IsStaleCatalog(pg))
                {
                    _evolver.Invalidate();
                }

                throw _errors.Translate(e, WarehouseStep.Load);
            }
        }
    }

    private async Task<IReadOnlyDictionary<int, string>> LoadAsync(List<WarehouseEvent> events, WarehouseCatalog catalog, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            try
            {
                await SetLockTimeout(connection, transaction, ct);
                await _loader.LoadAsync(connection, transaction, events, catalog, ct);
                await transaction.CommitAsync(ct);
                return new Dictionary<int, string>();
            }
            catch (PostgresException e) when (WarehouseErrors.IsCausedByARow(e))
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }

        // Some row was refused: load again one event at a time and reject only the events that are refused.
        await using var retry = await connection.BeginTransactionAsync(ct);
        await SetLockTimeout(connection, retry, ct);
        var refused = await _loader.LoadEachAsync(connection, retry, events, catalog, ct);
        await retry.CommitAsync(ct);
        return refused;
    }

    private async Task SetLockTimeout(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SET LOCAL lock_timeout = '{(long)_options.LoadLockTimeout.TotalMilliseconds}ms'", connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The event's rows fitted to the catalog; a column of a type the loader does not write, or one its table
    /// had no room for (the column budget), loses its value to <c>discards</c> like any other conflict.</summary>
    private static WarehouseEvent Reconcile(int index, WarehousePlan plan, WarehouseCatalog catalog, int maxColumns)
    {
        var discards = new List<WarehouseDiscard>(plan.Discards);
        var rows = new List<WarehouseRow>(plan.Rows.Count);
        foreach (var row in plan.Rows)
        {
            var columns = catalog.Schema.Columns(row.Table);
            var cells = new List<WarehouseCell>(row.Cells.Count);
            foreach (var cell in row.Cells)
            {
                if (!columns.ContainsKey(cell.Column))
                {
                    // The schema evolver created every other column the batch needs.
                    discards.Add(new WarehouseDiscard(row.Table, row.Id, cell.Column, cell.Raw, row.ReceivedAt,
                        WarehouseColumnBudget.Reason(catalog.Schema, row.Table, cell.Column, maxColumns)));
                }
                else if (catalog.UnsupportedType(row.Table, cell.Column) is { } type)
                {
                    discards.Add(new WarehouseDiscard(row.Table, row.Id, cell.Column, cell.Raw, row.ReceivedAt,
                        $"the column {cell.Column} has the type {type}, which the loader does not write"));
                }
                else
                {
                    cells.Add(cell);
                }
            }

            var kept = cells.Count == row.Cells.Count ? row : row with { Cells = cells };
            rows.Add(WarehouseTypeReconciler.Reconcile(kept, catalog.Schema.Columns(row.Table), discards));
        }

        return new WarehouseEvent(index, rows, discards);
    }

    private void Resolve(CompiledMapping mapping)
    {
        if (ReferenceEquals(mapping, _resolved))
        {
            return;
        }

        var payload = mapping.OrdinalOf(PayloadColumn);
        if (payload < 0)
        {
            throw new InvalidOperationException($"the mapping does not read '{PayloadColumn}'; compile it with this destination's Shape");
        }

        _ordinals = (payload, mapping.OrdinalOf(KindColumn), mapping.OrdinalOf(EventIdColumn));
        _resolved = mapping;
    }

    private string EventId(Change change) =>
        _ordinals.EventId >= 0 && change.Values[_ordinals.EventId] is { } id ? id.ToString()! : change.Key;

    /// <summary>The top-level <c>messageId</c> (NUL and lone surrogates as U+FFFD), or null when the payload has none or is not JSON (planning rejects it later).</summary>
    private static string? MessageId(byte[] payload)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessageId = reader.ValueTextEquals("messageId"u8);
                reader.Read();
                if (isMessageId && reader.TokenType == JsonTokenType.String)
                {
                    // As the planner reads it, so the record's key is its rows' id.
                    return JsonText.Decode(ref reader);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the write rejects the record with the parser's message.
        }

        return null;
    }
}
