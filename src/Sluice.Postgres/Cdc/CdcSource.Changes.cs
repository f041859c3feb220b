using System.Text;
using Npgsql;
using Npgsql.Replication.PgOutput.Messages;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

internal sealed partial class CdcSource
{
    /// <summary>
    /// Turns row messages into changes: values read from their text as a table source would read them, the key, the
    /// watched columns' new values and, from the old row PostgreSQL logged, their old ones.
    /// </summary>
    private sealed class ChangeReader(CdcSource source, bool prefixed)
    {
        /// <param name="origin">The replication origin of the message's transaction (<c>sluice_…</c>: Sluice's own write), if it has one.</param>
        public async ValueTask<Change?> ReadAsync(PgOutputReplicationMessage message, Dictionary<uint, CdcRelation> relations, CdcPosition position, string? origin, CancellationToken ct)
        {
            switch (message)
            {
                case InsertMessage insert when Followed(relations, insert.Relation) is { } relation:
                    return await UpsertAsync(relation, null, await CdcRow.ReadAsync(insert.NewRow, relation, ct), ChangeKinds.Added, position, origin, ct);
                case UpdateMessage update when Followed(relations, update.Relation) is { } relation:
                    // The old row (whole with REPLICA IDENTITY FULL, the old key when the key changed) comes first on the wire.
                    var old = update switch
                    {
                        FullUpdateMessage full => await CdcRow.ReadAsync(full.OldRow, relation, ct),
                        IndexUpdateMessage index => await CdcRow.ReadAsync(index.Key, relation, ct),
                        _ => null,
                    };
                    return await UpsertAsync(relation, old, await CdcRow.ReadAsync(update.NewRow, relation, ct), ChangeKinds.Changed, position, origin, ct);
                case DeleteMessage delete when Followed(relations, delete.Relation) is { } relation:
                    var gone = delete switch
                    {
                        FullDeleteMessage full => await CdcRow.ReadAsync(full.OldRow, relation, ct),
                        KeyDeleteMessage key => await CdcRow.ReadAsync(key.Key, relation, ct),
                        _ => null,
                    };
                    return gone is null ? null : Deleted(relation, gone, position, origin);
                default:
                    return null;
            }
        }

        private static CdcRelation? Followed(Dictionary<uint, CdcRelation> relations, RelationMessage relation) =>
            relations.TryGetValue(relation.RelationId, out var plan) && plan.Table is not null ? plan : null;

        private async ValueTask<Change> UpsertAsync(CdcRelation relation, CdcRow? old, CdcRow row, ChangeKinds kind, CdcPosition position, string? origin, CancellationToken ct)
        {
            var table = relation.Table!;
            var texts = row.Texts;
            Dictionary<string, (object? Value, string? Text)>? reread = null;
            List<string>? unavailable = null;
            if (row.HasUnchanged)
            {
                // PostgreSQL does not resend a TOASTed value an update left alone. The old row has it with REPLICA
                // IDENTITY FULL; otherwise the row is read again (its current value, which a later change may already have moved).
                var missing = new List<int>();
                for (var i = 0; i < texts.Length; i++)
                {
                    if (!row.Unchanged[i])
                    {
                        continue;
                    }

                    if (old is not null && table.IdentityKey.Contains(relation.Names[i]) && !old.Unchanged[i])
                    {
                        texts[i] = old.Texts[i];
                    }
                    else
                    {
                        missing.Add(i);
                    }
                }

                if (missing.Count > 0)
                {
                    var keyTexts = relation.Key.Select(i => row.Unchanged[i] ? old?.Texts[i] : texts[i]).ToArray();
                    var columns = missing.Select(i => relation.Names[i]).ToList();
                    reread = await source.RereadAsync(table, keyTexts, columns, ct);
                    if (reread is null)
                    {
                        unavailable = columns;
                    }
                }
            }

            var values = new object?[relation.Requested.Length];
            for (var j = 0; j < values.Length; j++)
            {
                var i = relation.Requested[j];
                var name = relation.Names[i];
                values[j] = reread is not null && reread.TryGetValue(name, out var again) ? again.Value
                    : unavailable is not null && unavailable.Contains(name) ? Unavailable(table, name)
                    : CdcTextValues.Parse(texts[i], relation.Types[i], name);
            }

            string? TextOf(int i) => reread is not null && reread.TryGetValue(relation.Names[i], out var again) ? again.Text : texts[i];

            var key = CdcKey.Format(relation.Key.Select(TextOf).ToArray(), prefixed ? table.ToString() : null);
            Dictionary<string, string?>? watched = null;
            Dictionary<string, string?>? previous = null;
            if (relation.Watched.Length > 0)
            {
                watched = new Dictionary<string, string?>(relation.Watched.Length, StringComparer.Ordinal);
                foreach (var (column, i) in relation.Watched)
                {
                    watched[column] = TextOf(i);
                }

                if (kind == ChangeKinds.Changed)
                {
                    previous = Previous(relation, old) ?? KeyUnchanged(relation, watched);
                }
            }

            return new Change(key, ChangeOperation.Upsert, values, position)
            {
                Kind = kind,
                Watched = watched,
                Previous = previous,
                Version = position.ToVersion(),
                Origin = origin,
                OwnWrite = OwnWriteOrigin.IsOwn(origin),
            };
        }

        private Change Deleted(CdcRelation relation, CdcRow old, CdcPosition position, string? origin)
        {
            var table = relation.Table!;
            var values = new object?[relation.Requested.Length];
            for (var j = 0; j < values.Length; j++)
            {
                var i = relation.Requested[j];
                var name = relation.Names[i];
                // Columns outside the replica identity arrive as NULL in an old key: not known, so left NULL.
                values[j] = table.IdentityKey.Contains(name) && !old.Unchanged[i] ? CdcTextValues.Parse(old.Texts[i], relation.Types[i], name) : null;
            }

            var key = CdcKey.Format(relation.Key.Select(i => old.Texts[i]).ToArray(), prefixed ? table.ToString() : null);
            return new Change(key, ChangeOperation.Delete, values, position)
            {
                Kind = ChangeKinds.Deleted,
                Previous = relation.Watched.Length > 0 ? Previous(relation, old) : null,
                Version = position.ToVersion(),
                Origin = origin,
                OwnWrite = OwnWriteOrigin.IsOwn(origin),
            };
        }

        /// <summary>The watched columns' old values from the old row, for those PostgreSQL logged; null when it logged none.</summary>
        private static Dictionary<string, string?>? Previous(CdcRelation relation, CdcRow? old)
        {
            if (old is null)
            {
                return null;
            }

            Dictionary<string, string?>? previous = null;
            foreach (var (column, i) in relation.Watched)
            {
                if (relation.Table!.IdentityKey.Contains(column) && !old.Unchanged[i])
                {
                    (previous ??= new(StringComparer.Ordinal))[column] = old.Texts[i];
                }
            }

            return previous;
        }

        /// <summary>No old row: the key did not change (PostgreSQL logs the old key only when it does), so watched key columns kept their values.</summary>
        private static Dictionary<string, string?>? KeyUnchanged(CdcRelation relation, Dictionary<string, string?> watched)
        {
            var keyed = watched.Where(w => relation.Table!.IdentityKey.Contains(w.Key)).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
            return keyed.Count > 0 ? keyed : null;
        }

        private static UnreadableValue Unavailable(CdcTable table, string column) =>
            new($"column '{column}' was not changed and is stored out of line (TOAST), so PostgreSQL did not send it, and the row was deleted before it could be read again; " +
                $"to have PostgreSQL send it, run: {table.IdentityFullSql}");
    }

    /// <summary>
    /// The current values of <paramref name="columns"/> of the row with this key (typed as the copy reads them, and as
    /// text); null when the row is gone.
    /// </summary>
    private async Task<Dictionary<string, (object? Value, string? Text)>?> RereadAsync(CdcTable table, string?[] key, IReadOnlyList<string> columns, CancellationToken ct)
    {
        var select = new StringBuilder();
        foreach (var column in columns)
        {
            var quoted = SqlNames.Quote(column);
            select.Append(quoted).Append(table.ReadAsText.Contains(column) ? "::text, " : ", ").Append(quoted).Append("::text, ");
        }

        var where = string.Join(" AND ", table.Key.Select((k, i) => $"{SqlNames.Quote(k)} = CAST(${i + 1}::text AS {table.Find(k)!.DatabaseType})"));
        var sql = $"SELECT {select.ToString().TrimEnd(',', ' ')} FROM {table.Table.Qualified} WHERE {where}";
        return await PostgresCall.RunAsync(_calls, async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var settings = new NpgsqlCommand(CdcSessionSettings.SetLocal, connection, transaction))
            {
                await settings.ExecuteNonQueryAsync(ct);
            }

            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var part in key)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)part ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            var values = new Dictionary<string, (object? Value, string? Text)>(StringComparer.Ordinal);
            for (var i = 0; i < columns.Count; i++)
            {
                values[columns[i]] = (SourceValues.Read(reader, 2 * i), reader.IsDBNull((2 * i) + 1) ? null : reader.GetString((2 * i) + 1));
            }

            return values;
        });
    }
}
