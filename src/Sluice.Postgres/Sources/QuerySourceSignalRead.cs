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
/// engine may ask for the keys unsorted instead, as values in the table's own order: no sort of every key, and read by
/// binary COPY on a second connection that imports the transaction's snapshot, so the same rows, with the same lock held.
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
    Func<CancellationToken, Task<NpgsqlConnection>> openScan,
    Action nativeScan) : IKeySignalRead
{
    /// <summary>Keys read per round trip from the cursor.</summary>
    private const int KeysPerFetch = 10_000;

    /// <summary>Bytes read from the unsorted key scan's COPY at a time: about 2,000 keys.</summary>
    private const int NativeCopyBuffer = 1 << 16;

    private string _lastKey = "";
    private NativeKeySignal? _lastNative;

    public Change End => Change.Progress(new QueryPosition(_lastNative is { } last ? NativeText(last.Key) : _lastKey, now));

    public NativeKeyType NativeKeys => keyScans.NativeKeys;

    public async IAsyncEnumerable<KeySignal> KeysAsync([EnumeratorCancellation] CancellationToken ct)
    {
        _lastNative = null;
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

    /// <summary>
    /// The keys by binary COPY on a connection of their own that imports this read's snapshot (<c>SET TRANSACTION
    /// SNAPSHOT</c>): the very rows the fetches see, streamed without a round trip per page, and the fetches run on this
    /// read's connection meanwhile (a cursor's pages cannot interleave with a running COPY on one connection).
    /// </summary>
    public async IAsyncEnumerable<NativeKeySignal> NativeKeysAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var copy = keyScans.Native ?? throw new NotSupportedException($"{description} reads keys sorted only");
        await using var scan = await StartNativeScanAsync(copy, ct);
        var page = new List<NativeKeySignal>(NativeCopyBuffer / 32);
        while (await scan.ReadAsync(page, ct))
        {
            if (page.Count == 0)
            {
                continue;
            }

            _lastNative = page[^1];
            foreach (var signal in page)
            {
                yield return signal;
            }
        }

        nativeScan();
    }

    /// <summary>This read's snapshot, exported for the key scan's connection to import; valid while this transaction is open.</summary>
    private async Task<string> ExportSnapshotAsync(CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction);
        return (string)(await PostgresCall.RunAsync(calls, () => command.ExecuteScalarAsync(ct)))!;
    }

    /// <summary>Starts the unsorted key scan's COPY on a connection of its own, in a transaction on this read's snapshot.</summary>
    private async Task<NativeKeyScan> StartNativeScanAsync(string copy, CancellationToken ct)
    {
        var snapshot = await ExportSnapshotAsync(ct);
        var scan = await openScan(ct);
        try
        {
            var scanTransaction = await PostgresCall.RunAsync(calls, () => scan.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).AsTask());
            await using (var import = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshot.Replace("'", "''", StringComparison.Ordinal)}'; SET TRANSACTION READ ONLY", scan, scanTransaction))
            {
                await PostgresCall.RunAsync(calls, () => import.ExecuteNonQueryAsync(ct));
            }

            var stream = await PostgresCall.RunAsync(calls, () => scan.BeginRawBinaryCopyAsync(copy, ct));
            return new NativeKeyScan(scan, scanTransaction, stream, new NativeKeyCopy(keyScans.NativeKeys == NativeKeyType.Integer, now, since, description), calls, description);
        }
        catch
        {
            await scan.DisposeAsync();
            throw;
        }
    }

    /// <summary>The unsorted key scan's COPY, its connection and transaction, and where its parse of the stream stands.</summary>
    private sealed class NativeKeyScan(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        NpgsqlRawCopyStream stream,
        NativeKeyCopy parser,
        PostgresCallContext calls,
        string description) : IAsyncDisposable
    {
        private readonly CopyOutBuffer _buffer = new(stream, NativeCopyBuffer);

        /// <summary>
        /// Reads what the stream has and adds its whole rows to <paramref name="page"/> (cleared first; it may stay empty);
        /// false once the COPY has ended. Driver failures are translated once per read of the stream, not per key.
        /// </summary>
        public async Task<bool> ReadAsync(List<NativeKeySignal> page, CancellationToken ct)
        {
            page.Clear();
            if (parser.Ended)
            {
                return false;
            }

            bool more;
            try
            {
                more = await _buffer.FillAsync(ct);
            }
            catch (Exception e) when (PostgresCall.IsDriverFailure(e))
            {
                throw PostgresCall.Translate(e, calls);
            }

            _buffer.Consume(parser.Parse(_buffer.Data, page));
            if (!more && !parser.Ended)
            {
                throw new InvalidDataException($"{description}: the key scan's COPY ended before its end-of-data marker");
            }

            return true;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                // A read still running into the buffer ends first: the stream is then cancelled or disposed with nothing in flight.
                await _buffer.DisposeAsync();
                if (!parser.Ended)
                {
                    // Left unfinished (the stored keys are too many to hold, or the run failed): the server stops sending
                    // rather than the driver reading every remaining key to throw it away.
                    await stream.CancelAsync();
                }

                await stream.DisposeAsync();
                await transaction.DisposeAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
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

    /// <summary>Declares the sorted key cursor at its first page.</summary>
    private async Task DeclareAsync(string declare, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(declare, connection, transaction);
        await PostgresCall.RunAsync(calls, () => command.ExecuteNonQueryAsync(ct));
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
