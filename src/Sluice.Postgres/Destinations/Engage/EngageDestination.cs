using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Engage;

namespace Sluice.Postgres.Destinations.Engage;

/// <summary>
/// <c>layout: engage</c>: applies Segment Engage deliveries (read from a <c>type: engage</c> webhook's queue) to the
/// application's tables: audience membership as rows <c>(user_id, audience, member, updated_at)</c>, computed traits as
/// rows <c>(user_id, trait, value jsonb, updated_at)</c>. Each write is
/// <c>INSERT … ON CONFLICT DO UPDATE … WHERE excluded.updated_at &gt; t.updated_at</c>: a delivery changes a row only
/// when Engage computed it later than what the row holds, so a late, retried or replayed delivery (an exit computed
/// before the enter the row already shows) never regresses a membership, and a duplicate is a no-op.
/// </summary>
internal sealed class EngageDestination : IDestination
{
    private static readonly ConfigLocation Unplaced = new("(engage tables)", 0, 0, "destination.layout");
    private static readonly string[] Columns = ["event_id", "source", "kind", "type", "event", "received_at", "payload"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _audiences;
    private readonly string _traits;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private int _payloadOrdinal = -1;
    private CompiledMapping? _mapping;
    private bool _created;

    public EngageDestination(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, EngageTablesOptions options)
    {
        _dataSource = dataSource;
        _audiences = SqlNames.QuoteQualified(options.Audiences.Schema, options.Audiences.Table);
        _traits = SqlNames.QuoteQualified(options.Traits.Schema, options.Traits.Table);
        Description = $"Engage tables {options.Audiences.Schema}.{options.Audiences.Table} and {options.Traits.Schema}.{options.Traits.Table} on {connection.Describe()}";
        Shape = new MappingShape($"the Engage tables", [], []) { ExtraColumns = Columns.Select(c => (c, Unplaced)).ToList() };
        Limits = new DestinationLimits(options.BatchSize, 16 * 1024 * 1024, 1024 * 1024, 1) { FlushWindow = TimeSpan.FromSeconds(1) };
    }

    public string Description { get; }

    public MappingShape Shape { get; }

    public DestinationLimits Limits { get; }

    public async Task CheckAsync(CancellationToken ct)
    {
        try
        {
            await EnsureTablesAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            throw PostgresErrors.Translate(e, Description);
        }
    }

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        if (!ReferenceEquals(mapping, _mapping))
        {
            _payloadOrdinal = mapping.OrdinalOf("payload") is >= 0 and var ordinal
                ? ordinal
                : throw SluiceException.Fatal("the sync's mapping does not read column 'payload', which layout: engage needs (is the source a type: engage connection?)");
            _mapping = mapping;
        }

        var payload = change.Values[_payloadOrdinal] switch
        {
            byte[] bytes => bytes,
            string text => System.Text.Encoding.UTF8.GetBytes(text),
            _ => throw new SluiceException(ErrorClass.RecordRejected, "the delivery has no payload"),
        };
        var delivery = Read(payload, out var error) ?? throw new SluiceException(ErrorClass.RecordRejected, $"not an Engage delivery Sluice can apply: {error}");
        return new EncodedRecord(change, delivery.MessageId, payload) { Prepared = delivery };
    }

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        var audiences = new List<EngageDelivery>();
        var traits = new List<EngageDelivery>();
        for (var i = 0; i < batch.Count; i++)
        {
            // A dead letter replayed is read again from its stored payload.
            var error = "";
            if ((batch[i].Prepared as EngageDelivery ?? Read(batch[i].Payload.ToArray(), out error)) is not { } delivery)
            {
                results[i] = WriteResult.Rejected($"not an Engage delivery Sluice can apply: {error}");
                continue;
            }

            (delivery.Kind == EngageDeliveryKind.Audience ? audiences : traits).Add(delivery);
            results[i] = WriteResult.Ok;
        }

        try
        {
            if (!_created)
            {
                await EnsureTablesAsync(ct);
            }

            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (audiences.Count > 0)
            {
                await UpsertAsync(connection, transaction, _audiences, "audience", "member", "boolean", NpgsqlDbType.Boolean, audiences, d => d.Member!.Value, ct);
            }

            if (traits.Count > 0)
            {
                await UpsertAsync(connection, transaction, _traits, "trait", "value", "jsonb", NpgsqlDbType.Jsonb, traits, d => d.Value!, ct);
            }

            await transaction.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // Data one delivery holds (a value jsonb refuses): thrown as is, so the engine halves the batch until that
            // delivery stands alone and goes to the dead-letter queue.
            throw;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            throw PostgresErrors.Translate(e, Description);
        }

        return results;
    }

    public ValueTask DisposeAsync()
    {
        _creating.Dispose();
        return ValueTask.CompletedTask;
    }

    private static EngageDelivery? Read(byte[] payload, out string error)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return EngageDelivery.TryRead(document.RootElement, out var delivery, out error) ? delivery : null;
        }
        catch (JsonException e)
        {
            error = $"the payload is not JSON: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// One statement per table and batch. Several deliveries for one row in a batch are reduced to the newest first
    /// (ON CONFLICT may touch a row once per statement); the row then moves only if that one is newer than it.
    /// </summary>
    private static async Task UpsertAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, string keyColumn, string valueColumn, string valueType,
        NpgsqlDbType valueDbType, List<EngageDelivery> deliveries, Func<EngageDelivery, T> value, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {table} AS t (user_id, {keyColumn}, {valueColumn}, updated_at, space_id, message_id)
            SELECT DISTINCT ON (u.user_id, u.key) u.user_id, u.key, u.value, u.updated_at, u.space_id, u.message_id
            FROM unnest($1::text[], $2::text[], $3::{valueType}[], $4::timestamptz[], $5::text[], $6::text[]) AS u(user_id, key, value, updated_at, space_id, message_id)
            ORDER BY u.user_id, u.key, u.updated_at DESC, u.message_id DESC
            ON CONFLICT (user_id, {keyColumn}) DO UPDATE
               SET {valueColumn} = excluded.{valueColumn}, updated_at = excluded.updated_at, space_id = excluded.space_id, message_id = excluded.message_id
             WHERE excluded.updated_at > t.updated_at
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(d => d.UserId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(d => d.Key).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | valueDbType });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(d => d.Timestamp.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(d => d.SpaceId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveries.Select(d => d.MessageId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Creates a missing table (only then: CREATE … IF NOT EXISTS would need CREATE on the schema even when it exists).</summary>
    private async Task EnsureTablesAsync(CancellationToken ct)
    {
        await _creating.WaitAsync(ct);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            foreach (var (table, ddl) in new[] { (_audiences, EngageTablesDdl.Audiences(_audiences)), (_traits, EngageTablesDdl.Traits(_traits)) })
            {
                await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
                exists.Parameters.Add(new NpgsqlParameter { Value = table });
                if (await exists.ExecuteScalarAsync(ct) is true)
                {
                    continue;
                }

                try
                {
                    await using var create = new NpgsqlCommand(ddl, connection);
                    await create.ExecuteNonQueryAsync(ct);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
                {
                    // Another process created it at the same moment.
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw SluiceException.Config(string.Create(CultureInfo.InvariantCulture,
                        $"{Description}: table {table} does not exist and the role may not create it ({e.MessageText}); create it as its owner: {ddl.ReplaceLineEndings(" ")}"));
                }
            }

            _created = true;
        }
        finally
        {
            _creating.Release();
        }
    }
}
