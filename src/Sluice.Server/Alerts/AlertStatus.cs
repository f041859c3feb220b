using Npgsql;

namespace Sluice.Server.Alerts;

/// <summary>One alert as <c>sluice alerts</c> shows it: what the state store says about it (never evaluated: all null).</summary>
public sealed record AlertStatus(
    string Name, string State, double? LastValue, DateTimeOffset? LastEvaluatedAt, long Evaluations, long Crossings,
    DateTimeOffset? LastFiredAt, double? LastFiredValue, DateTimeOffset? LastRecoveredAt, string? LastError)
{
    /// <summary>Each alert of <paramref name="alerts"/>, in config order, with its stored state.</summary>
    public static async Task<IReadOnlyList<AlertStatus>> ReadAsync(NpgsqlDataSource state, string schema, IReadOnlyList<AlertOptions> alerts, CancellationToken ct)
    {
        var stored = new Dictionary<string, AlertStatus>(StringComparer.Ordinal);
        await using (var command = state.CreateCommand(
            $"SELECT name, state, last_value, last_evaluated_at, evaluations, crossings, last_fired_at, last_fired_value, last_recovered_at, last_error FROM {schema}.alerts"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
                double? Number(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
                stored[reader.GetString(0)] = new AlertStatus(reader.GetString(0), reader.GetString(1), Number(2), Time(3), reader.GetInt64(4), reader.GetInt64(5),
                    Time(6), Number(7), Time(8), reader.IsDBNull(9) ? null : reader.GetString(9));
            }
        }

        return [.. alerts.Select(a => stored.GetValueOrDefault(a.Name) ?? new AlertStatus(a.Name, AlertStep.Ok, null, null, 0, 0, null, null, null, null))];
    }
}
