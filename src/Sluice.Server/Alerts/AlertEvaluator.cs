using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Server.Alerts;

/// <summary>
/// Evaluates an alert once: under the alert's row lock in the state store (<c>SELECT … FOR UPDATE SKIP LOCKED</c>,
/// so with several <c>sluice run</c> processes one evaluates at a time and the others skip), it runs the metric, steps
/// the state machine (<see cref="AlertStep"/>), sends the Track of a crossing, then writes the state and commits. The
/// event goes out before the commit under an id fixed by the crossing's number: a send that fails leaves the state as
/// it was (the next evaluation tries again), and a commit that fails after a send resends the same id, which Segment
/// drops as a duplicate.
/// </summary>
internal sealed class AlertEvaluator(NpgsqlDataSource state, string schema, Func<AlertOptions, NpgsqlDataSource> metrics, AlertSender sender, TimeProvider time)
{
    public async Task<AlertEvaluation> EvaluateAsync(AlertOptions alert, CancellationToken ct)
    {
        await using var connection = await state.OpenConnectionAsync(ct);
        await using (var create = new NpgsqlCommand($"INSERT INTO {schema}.alerts (name) VALUES ($1) ON CONFLICT DO NOTHING", connection))
        {
            create.Parameters.Add(new NpgsqlParameter { Value = alert.Name });
            await create.ExecuteNonQueryAsync(ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        string current;
        int crossings;
        await using (var select = new NpgsqlCommand($"SELECT state, crossings FROM {schema}.alerts WHERE name = $1 FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = alert.Name });
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return new AlertEvaluation(true, null, default, null);
            }

            (current, crossings) = (reader.GetString(0), checked((int)reader.GetInt64(1)));
        }

        double? value;
        try
        {
            value = await MetricAsync(alert, ct);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException or FormatException or TimeoutException)
        {
            var problem = $"alert '{alert.Name}': its sql failed on connection '{alert.Connection.Name}': {(e is PostgresException pg ? pg.MessageText : e.Message)}";
            await SaveAsync(connection, transaction, alert, current, null, crossings, null, problem, ct);
            await transaction.CommitAsync(ct);
            throw SluiceException.Config(problem + "; fix 'sql:' (it must return one number)");
        }

        var step = AlertStep.Next(alert, current, value);
        string? sent = null;
        if (step.Crossed is { } crossed)
        {
            // A recovery belongs to the crossing it ends: the same number, its own suffix.
            var crossing = crossed == AlertStep.Fired ? crossings + 1 : crossings;
            if (crossed == AlertStep.Fired || alert.OnRecovery)
            {
                sent = MessageId(alert.Name, crossing, crossed);
                await sender.SendAsync(alert, crossed, crossing, value!.Value, sent, ct);
            }

            crossings = crossing;
        }

        await SaveAsync(connection, transaction, alert, step.State, value, crossings, step.Crossed, null, ct);
        await transaction.CommitAsync(ct);
        return new AlertEvaluation(false, value, step, sent);
    }

    /// <summary>Deterministic per alert, crossing and transition; at most 100 characters (Segment's limit) whatever the name.</summary>
    internal static string MessageId(string alert, int crossing, string crossed)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(alert)))[..16];
        return string.Create(CultureInfo.InvariantCulture, $"sluice-alert-{hash}-{crossing}-{crossed}");
    }

    private async Task<double?> MetricAsync(AlertOptions alert, CancellationToken ct)
    {
        await using var command = metrics(alert).CreateCommand(alert.Sql);
        var result = await command.ExecuteScalarAsync(ct);
        return result is null or DBNull ? null : Convert.ToDouble(result, CultureInfo.InvariantCulture);
    }

    private async Task SaveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AlertOptions alert, string newState, double? value, int crossings, string? crossed,
        string? error, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            $"""
            UPDATE {schema}.alerts
               SET state = $2, last_value = $3, last_evaluated_at = $4, evaluations = evaluations + 1, crossings = $5, last_error = $6,
                   last_fired_at = CASE WHEN $7 = 'fired' THEN $4 ELSE last_fired_at END,
                   last_fired_value = CASE WHEN $7 = 'fired' THEN $3 ELSE last_fired_value END,
                   last_recovered_at = CASE WHEN $7 = 'recovered' THEN $4 ELSE last_recovered_at END
             WHERE name = $1
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = alert.Name });
        update.Parameters.Add(new NpgsqlParameter { Value = newState });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        update.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter { Value = (long)crossings });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)crossed ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await update.ExecuteNonQueryAsync(ct);
    }
}
