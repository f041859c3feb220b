using Npgsql;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Writes a batch's events inside the caller's transaction. Events are deduplicated on their messageId: an event whose
/// own row (<c>identifies</c>, <c>tracks</c>, …) is already there is skipped whole — its rows are not written again,
/// it does not touch <c>users</c>/<c>accounts</c>, and it adds no discards — so a replayed batch changes nothing.
/// </summary>
internal sealed class WarehouseLoader(string schema)
{
    private const string Savepoint = "warehouse_event";

    /// <summary>
    /// The fast path: one statement per table for the whole batch (appends in one round trip, then the latest-state
    /// merges and the discards in a second). A row that PostgreSQL refuses fails it all; the caller then rolls back and
    /// uses <see cref="LoadEachAsync"/>.
    /// </summary>
    public async Task LoadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WarehouseEvent> events, WarehouseCatalog catalog, CancellationToken ct)
    {
        var claimed = new HashSet<(string, string)>();
        var firsts = events.Where(e => claimed.Add(e.Key)).ToList();

        // Sorted by id, so two loaders that share ids lock them in the same order and do not deadlock.
        var appends = firsts.SelectMany(e => e.Rows).Where(r => !r.IsLatestState)
            .GroupBy(r => r.Table, StringComparer.Ordinal)
            .Select(g => (Table: g.Key, Rows: g.OrderBy(r => r.Id, StringComparer.Ordinal).ToList()))
            .ToList();
        var inserted = new HashSet<(string, string)>();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var (table, rows) in appends)
            {
                batch.BatchCommands.Add(WarehouseInsertSql.Append(schema, table, rows, catalog.Schema.Columns(table)));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await using var reader = await batch.ExecuteReaderAsync(ct);
                foreach (var (table, _) in appends)
                {
                    while (await reader.ReadAsync(ct))
                    {
                        inserted.Add((table, reader.GetString(0)));
                    }

                    await reader.NextResultAsync(ct);
                }
            }
        }

        var fresh = firsts.Where(e => inserted.Contains(e.Key)).ToList();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var latest = fresh.SelectMany(e => e.Rows).Where(r => r.IsLatestState)
                .GroupBy(r => (r.Table, r.Id))
                .Select(Fold)
                .GroupBy(r => r.Table, StringComparer.Ordinal);
            foreach (var table in latest)
            {
                var rows = table.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
                batch.BatchCommands.Add(WarehouseInsertSql.Merge(schema, table.Key, rows, catalog.Schema.Columns(table.Key)));
            }

            var discards = fresh.SelectMany(e => e.Discards).ToList();
            if (discards.Count > 0)
            {
                batch.BatchCommands.Add(WarehouseInsertSql.Discards(schema, discards));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>
    /// The slow path: each event in a savepoint of its own, so that an event PostgreSQL refuses (a user's unique
    /// index, a user-changed column type, a trigger) is rejected alone and the rest of the batch still lands.
    /// Returns the refused events' indexes with the reason.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, string>> LoadEachAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WarehouseEvent> events, WarehouseCatalog catalog, CancellationToken ct)
    {
        var refused = new Dictionary<int, string>();
        foreach (var e in events)
        {
            await transaction.SaveAsync(Savepoint, ct);
            var table = e.Primary.Table;
            try
            {
                var fresh = false;
                foreach (var row in e.Rows.Where(r => !r.IsLatestState))
                {
                    table = row.Table;
                    await using var batch = new NpgsqlBatch(connection, transaction);
                    batch.BatchCommands.Add(WarehouseInsertSql.Append(schema, row.Table, [row], catalog.Schema.Columns(row.Table)));
                    var inserted = await batch.ExecuteScalarAsync(ct) is not null;
                    fresh |= inserted && ReferenceEquals(row, e.Primary);
                }

                if (fresh)
                {
                    await using var batch = new NpgsqlBatch(connection, transaction);
                    foreach (var row in e.Rows.Where(r => r.IsLatestState))
                    {
                        table = row.Table;
                        batch.BatchCommands.Add(WarehouseInsertSql.Merge(schema, row.Table, [row], catalog.Schema.Columns(row.Table)));
                    }

                    if (e.Discards.Count > 0)
                    {
                        batch.BatchCommands.Add(WarehouseInsertSql.Discards(schema, e.Discards));
                    }

                    if (batch.BatchCommands.Count > 0)
                    {
                        await batch.ExecuteNonQueryAsync(ct);
                    }
                }

                await transaction.ReleaseAsync(Savepoint, ct);
            }
            catch (PostgresException error) when (WarehouseErrors.IsCausedByARow(error))
            {
                await transaction.RollbackAsync(Savepoint, ct);
                refused[e.Index] = WarehouseErrors.RowReason(error, $"{schema}.{table}");
            }
        }

        return refused;
    }

    /// <summary>
    /// Several events of one batch for the same user or account, as one row (a statement may not update a row twice):
    /// in <c>received_at</c> order, each column keeps the latest non-null value — what the merge does across batches.
    /// </summary>
    private static WarehouseRow Fold(IEnumerable<WarehouseRow> rows)
    {
        var ordered = rows.OrderBy(r => r.ReceivedAt ?? DateTimeOffset.MinValue).ToList();
        if (ordered.Count == 1)
        {
            return ordered[0];
        }

        var cells = new Dictionary<string, WarehouseCell>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var cell in ordered.SelectMany(r => r.Cells))
        {
            if (!cells.ContainsKey(cell.Column))
            {
                order.Add(cell.Column);
            }
            else if (cell.Value is null)
            {
                continue;
            }

            cells[cell.Column] = cell;
        }

        return ordered[^1] with { Cells = order.Select(c => cells[c]).ToList() };
    }
}
