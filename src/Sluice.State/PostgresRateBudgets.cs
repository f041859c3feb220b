using Npgsql;
using Sluice.Core.Engine;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// Destination budgets in the state schema (<c>rate_budgets</c>, migration 0005), shared by every process
/// using the state database. One round trip per chunk of permits; the store must have been opened (migrated).
/// </summary>
public sealed class PostgresRateBudgets : IRateBudgetStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _schema;

    public PostgresRateBudgets(NpgsqlDataSource dataSource, string schema = "sluice")
    {
        _dataSource = dataSource;
        _schema = new StateSchema(schema);
    }

    public async ValueTask<RateBudgetGrant> TakeAsync(RateBudgetAsk ask, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => TakeCoreAsync(ask, ct));

    private async Task<RateBudgetGrant> TakeCoreAsync(RateBudgetAsk ask, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT granted, ready_at, nullif(paused_until, '-infinity') FROM {_schema.Name}.take_rate_budget($1, $2, $3, $4, $5, $6, $7, $8)");
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Destination });
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Lane == DeliveryLane.Backfill });
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Now });
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Requests });
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Events });
        command.Parameters.Add(Rate(ask.Limits.RequestsPerSecond));
        command.Parameters.Add(Rate(ask.Limits.EventsPerSecond));
        command.Parameters.Add(new NpgsqlParameter { Value = ask.Limits.BackfillShare });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new RateBudgetGrant(
            reader.GetBoolean(0),
            reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? DateTimeOffset.MinValue : reader.GetFieldValue<DateTimeOffset>(2));
    }

    public async ValueTask PauseAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => PauseCoreAsync(destination, until, now, ct));

    private async Task PauseCoreAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct)
    {
        // Monotonic: a shorter Retry-After heard later never cuts short a longer one.
        await using var command = _dataSource.CreateCommand(
            $"""
            INSERT INTO {_schema.Name}.rate_budgets AS b (destination, refilled_at, paused_until) VALUES ($1, $2, $3)
            ON CONFLICT (destination) DO UPDATE SET paused_until = greatest(b.paused_until, excluded.paused_until)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = until });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter Rate(double? rate) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double, Value = rate is { } r && r > 0 ? r : DBNull.Value };
}
