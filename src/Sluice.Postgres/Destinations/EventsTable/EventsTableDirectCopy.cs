using System.Collections.Concurrent;
using Npgsql;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// The fast way to land a batch: one binary COPY straight into the events table, in its own implicit transaction. It
/// holds only when every event of the batch is new to the table — the usual case, each event read once from the queue —
/// and PostgreSQL says when one is not: the table's unique key on <c>event_id</c> fails the whole COPY (nothing of it
/// stays) with <c>unique_violation</c>, and the batch is then written the idempotent way (staging and
/// <c>ON CONFLICT DO NOTHING</c>). So each event still lands once whatever is replayed, with half the server's work
/// per event where the staging path wrote every row twice and inserted it speculatively.
/// </summary>
/// <remarks>
/// A batch that fails so costs a wasted COPY; where duplicates keep coming (a client that resends, a replay of many
/// batches after a crash), the batches after a conflict skip this way, twice as many after each further conflict
/// (up to <see cref="MostSkipped"/>), until one lands directly again. A batch holding the same id twice never tries.
/// Only a table whose eight columns have exactly the events table's types and no row-level security is written so
/// (binary COPY converts nothing, and refuses a table with row security); any other goes through staging, whose
/// INSERT converts as before.
/// </remarks>
internal sealed class EventsTableDirectCopy
{
    /// <summary>At most this many batches in a row skip the direct COPY after conflicts.</summary>
    public const int MostSkipped = 64;

    /// <summary>The types the columns must have, as <c>regtype</c> names them, in <see cref="EventsTableDdl.Columns"/> order.</summary>
    private static readonly string[] Types = ["uuid", "text", "timestamp with time zone", "text", "text", "jsonb", "jsonb", "timestamp with time zone"];

    private static readonly string ColumnList = string.Join(", ", EventsTableDdl.Columns.Select(c => SqlNames.Quote(c.Name)));

    private readonly ConcurrentDictionary<string, bool> _eligible = new(StringComparer.Ordinal);
    private readonly Lock _turns = new();
    private int _skip;
    private int _backoff = 1;

    /// <summary>Batches landed by a direct COPY.</summary>
    public long Direct => Interlocked.Read(ref _direct);

    /// <summary>Direct COPYs that met an event already in the table.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    private long _direct;
    private long _conflicts;

    /// <summary>
    /// Tries the batch as one COPY into <paramref name="schema"/>.<paramref name="table"/>: <c>true</c> when it landed
    /// so; <c>false</c> when it did not try or an event was already there (nothing was written: write it the idempotent
    /// way). Throws what PostgreSQL refused otherwise, as the staging path would.
    /// </summary>
    public async Task<bool> TryWriteAsync(NpgsqlConnection connection, string schema, string table, IReadOnlyList<(int Index, EventsTableRow Row)> rows, BinaryCopyStream copy, CancellationToken ct)
    {
        if (HoldsAnIdTwice(rows) || !TakeTurn() || !await EligibleAsync(connection, schema, table, ct))
        {
            return false;
        }

        try
        {
            await RawCopyIn.RunAsync(connection, $"COPY {SqlNames.QuoteQualified(schema, table)} ({ColumnList}) FROM STDIN (FORMAT BINARY)", copy, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            Conflicted();
            return false;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.FeatureNotSupported or PostgresErrorCodes.InvalidBinaryRepresentation or PostgresErrorCodes.DatatypeMismatch)
        {
            // The table changed under us (row security turned on, a column's type): staging converts, COPY does not.
            _eligible[table] = false;
            return false;
        }

        Landed();
        return true;
    }

    private static bool HoldsAnIdTwice(IReadOnlyList<(int Index, EventsTableRow Row)> rows)
    {
        var seen = new HashSet<Guid>(rows.Count);
        foreach (var (_, row) in rows)
        {
            if (!seen.Add(row.EventId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether this batch may try: not while batches are skipping after a conflict.</summary>
    private bool TakeTurn()
    {
        lock (_turns)
        {
            if (_skip == 0)
            {
                return true;
            }

            _skip--;
            return false;
        }
    }

    private void Conflicted()
    {
        Interlocked.Increment(ref _conflicts);
        lock (_turns)
        {
            _skip = _backoff;
            _backoff = Math.Min(_backoff * 2, MostSkipped);
        }
    }

    private void Landed()
    {
        Interlocked.Increment(ref _direct);
        lock (_turns)
        {
            _backoff = 1;
        }
    }

    /// <summary>
    /// Whether the table's columns are the events table's, typed exactly so, and it has no row security: asked once per
    /// table (a table not there yet is asked again, once created). Needs no privilege: it reads the catalog.
    /// </summary>
    private async Task<bool> EligibleAsync(NpgsqlConnection connection, string schema, string table, CancellationToken ct)
    {
        if (_eligible.TryGetValue(table, out var eligible))
        {
            return eligible;
        }

        await using var command = new NpgsqlCommand(
            """
            SELECT c.relrowsecurity, array_agg(a.attname::text ORDER BY a.attnum), array_agg(a.atttypid::regtype::text ORDER BY a.attnum)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
            GROUP BY c.oid, c.relrowsecurity
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return false;
        }

        var rowSecurity = reader.GetBoolean(0);
        var columns = reader.GetFieldValue<string[]>(1);
        var types = reader.GetFieldValue<string[]>(2);
        eligible = !rowSecurity && EventsTableDdl.Columns.Select((c, i) => Array.IndexOf(columns, c.Name) is >= 0 and var at && types[at] == Types[i]).All(ok => ok);
        _eligible[table] = eligible;
        return eligible;
    }
}
