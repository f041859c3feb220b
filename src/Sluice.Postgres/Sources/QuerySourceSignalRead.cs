using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// A table-shaped query source's read by change signal: a cursor over every key with its row's <c>xmin</c> and
/// <c>ctid</c>, sorted by key text, fetched a page at a time; and, between pages, the whole rows the engine asks for, by
/// <c>ctid</c> (a TID scan: no index needed). One REPEATABLE READ transaction holds both, so the rows fetched are the
/// very versions the key scan saw, and no VACUUM FULL or CLUSTER can move them meanwhile (they wait for its lock).
/// When the key is an integer or uuid column with a unique index (<see cref="QuerySourceKeyScans.NativeKeys"/>), the
/// engine may ask for the keys unsorted instead, as values in the table's own order: no sort of every key.
/// </summary>
internal sealed class QuerySourceSignalRead(
    NpgsqlConnection connection,
    NpgsqlTransaction transaction,
    PostgresCallContext calls,
    string description,
    QuerySourceSnapshot since,
    QuerySourceSnapshot now,
    QuerySourceKeyScans keyScans,
    string fetchSql,
    ReadRequest request,
    Func<NpgsqlDataReader, int, string, Change> record,
    Action nativeScan) : IKeySignalRead
{
    /// <summary>Keys read per round trip from the cursor.</summary>
    private const int KeysPerFetch = 10_000;

    /// <summary>Keys read per round trip from the unsorted cursor: small values, so more of them.</summary>
    private const int NativeKeysPerFetch = 50_000;

    private string _lastKey = "";
    private NativeKeySignal? _lastNative;

    public Change End => Change.Progress(new QueryPosition(_lastNative is { } last ? NativeText(last.Key) : _lastKey, now));

    public NativeKeyType NativeKeys => keyScans.NativeKeys;

    public async IAsyncEnumerable<KeySignal> KeysAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await DeclareAsync(keyScans.Sorted, ct);
        var page = new List<KeySignal>(KeysPerFetch);
        while (true)
        {
            page.Clear();
            await using (var command = new NpgsqlCommand($"FETCH FORWARD {KeysPerFetch} FROM sluice_keys", connection, transaction) { CommandTimeout = 0 })
            await using (var reader = await PostgresCall.RunAsync(calls, () => command.ExecuteReaderAsync(ct)))
            {
                while (await PostgresCall.RunAsync(calls, () => reader.ReadAsync(ct)))
                {
                    if (reader.IsDBNull(0))
                    {
                        throw Core.Errors.SluiceException.Fatal($"{description}: a row has no key; records need one: leave such rows out (e.g. WHERE key IS NOT NULL)");
                    }

                    var tid = reader.GetFieldValue<NpgsqlTid>(2);
                    var unchanged = now.WrittenBefore(reader.GetFieldValue<uint>(1), since);
                    page.Add(new KeySignal(reader.GetString(0), unchanged, ((long)tid.BlockNumber << 16) | tid.OffsetNumber));
                }
            }

            if (page.Count == 0)
            {
                yield break;
            }

            foreach (var signal in page)
            {
                _lastKey = signal.Key;
                yield return signal;
            }
        }
    }

    public async IAsyncEnumerable<NativeKeySignal> NativeKeysAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await DeclareAsync(keyScans.Native ?? throw new NotSupportedException($"{description} reads keys sorted only"), ct);
        nativeScan();
        var integer = keyScans.NativeKeys == NativeKeyType.Integer;
        var page = new List<NativeKeySignal>(NativeKeysPerFetch);
        while (true)
        {
            await ReadNativePageAsync(page, integer, ct);
            if (page.Count == 0)
            {
                yield break;
            }

            _lastNative = page[^1];
            foreach (var signal in page)
            {
                yield return signal;
            }
        }
    }

    /// <summary>
    /// One page of the unsorted key scan. Driver failures are translated once for the page rather than per row: a row's
    /// read then costs no delegate or task of its own (a million per run).
    /// </summary>
    private async Task ReadNativePageAsync(List<NativeKeySignal> page, bool integer, CancellationToken ct)
    {
        page.Clear();
        try
        {
            await using var command = new NpgsqlCommand($"FETCH FORWARD {NativeKeysPerFetch} FROM sluice_keys", connection, transaction) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(0))
                {
                    throw Core.Errors.SluiceException.Fatal($"{description}: a row has no key; records need one: leave such rows out (e.g. WHERE key IS NOT NULL)");
                }

                var key = integer ? unchecked((ulong)reader.GetInt64(0)) : UuidValue(reader.GetGuid(0));
                var tid = reader.GetFieldValue<NpgsqlTid>(2);
                var unchanged = now.WrittenBefore(reader.GetFieldValue<uint>(1), since);
                page.Add(new NativeKeySignal(key, unchanged, ((long)tid.BlockNumber << 16) | tid.OffsetNumber));
            }
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            throw PostgresCall.Translate(e, calls);
        }
    }

    public async IAsyncEnumerable<Change> FetchAsync(IReadOnlyList<KeySignal> keys, [EnumeratorCancellation] CancellationToken ct)
    {
        // As text: the driver writes no tid arrays; PostgreSQL parses a few thousand "(block,offset)" in no time.
        var tids = new string[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            tids[i] = string.Create(CultureInfo.InvariantCulture, $"({keys[i].Handle >> 16},{keys[i].Handle & 0xFFFF})");
        }

        // By key, not ctid: a table that gained inheritance children since would return a row per table at one ctid.
        var width = request.Columns.Count;
        var rows = new Dictionary<string, Change>(keys.Count, StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(fetchSql, connection, transaction) { CommandTimeout = 0 })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await PostgresCall.RunAsync(calls, () => command.ExecuteReaderAsync(ct));
            while (await PostgresCall.RunAsync(calls, () => reader.ReadAsync(ct)))
            {
                if (!reader.IsDBNull(width))
                {
                    var key = reader.GetString(width);
                    rows[key] = record(reader, width, key);
                }
            }
        }

        foreach (var signal in keys)
        {
            if (rows.TryGetValue(signal.Key, out var change))
            {
                yield return change;
            }
            else
            {
                yield break; // the engine names the key it is missing
            }
        }
    }

    /// <summary>Declares the key cursor, sorted or not: at the first page, once the engine has chosen which it reads.</summary>
    private async Task DeclareAsync(string declare, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(declare, connection, transaction);
        await PostgresCall.RunAsync(calls, () => command.ExecuteNonQueryAsync(ct));
    }

    /// <summary>A uuid's 16 bytes read big-endian (<see cref="NativeKeySignal.Key"/>).</summary>
    private static UInt128 UuidValue(Guid uuid)
    {
        Span<byte> bytes = stackalloc byte[16];
        uuid.TryWriteBytes(bytes, bigEndian: true, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>The key text of a native key, as PostgreSQL's <c>::text</c> writes it.</summary>
    private string NativeText(UInt128 key)
    {
        if (keyScans.NativeKeys == NativeKeyType.Integer)
        {
            return unchecked((long)(ulong)key).ToString(CultureInfo.InvariantCulture);
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
