using Npgsql;
using Sluice.Core.State;

namespace Sluice.Postgres.State;

/// <summary>
/// Reads one <c>record_state</c> row selected as <c>record_key, fingerprint, watched_values::text, updated_at, status,
/// destination_id, origin, run_id</c> into its <see cref="RecordState"/>.
/// </summary>
internal static class StoredRecordStateRow
{
    public static RecordState Read(NpgsqlDataReader reader) =>
        new(StoredText.Read(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
        {
            Values = reader.IsDBNull(2) ? null : WatchedValuesJson.Read(reader.GetString(2)),
            StoredAt = reader.GetFieldValue<DateTimeOffset>(3),
            Status = RecordStatusText.Read(reader.IsDBNull(4) ? null : reader.GetString(4)),
            DestinationId = reader.IsDBNull(5) ? null : StoredText.Read(reader.GetString(5)),
            Origin = reader.IsDBNull(6) ? null : StoredText.Read(reader.GetString(6)),
            RunId = reader.IsDBNull(7) ? null : reader.GetInt64(7),
        };
}
