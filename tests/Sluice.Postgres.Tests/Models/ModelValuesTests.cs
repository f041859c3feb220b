using Npgsql;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;
using Sluice.Postgres.Sources.Models;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Models;

/// <summary>
/// The model's typed reads give exactly what <c>GetValue</c> gives (<see cref="SourceValues.Read"/>), so the fingerprints
/// of records stored before stay valid: the same .NET type, value and <see cref="DateTimeKind"/>, NULLs and extremes
/// (infinite timestamps) included; timestamps take the typed path.
/// </summary>
public sealed class ModelValuesTests
{
    private static readonly (string Column, string Type, string First, string Second)[] Columns =
    [
        ("c_text", "text", "'héllo'", "''"),
        ("c_bigint", "bigint", "9223372036854775807", "-9223372036854775808"),
        ("c_int", "integer", "2147483647", "-1"),
        ("c_bool", "boolean", "true", "false"),
        ("c_double", "double precision", "'NaN'", "-1.5e300"),
        ("c_numeric", "numeric(12,2)", "12.50", "-0.01"),
        ("c_numeric_wide", "numeric", "'NaN'", "1e40"),
        ("c_timestamptz", "timestamptz", "'2024-05-06 07:08:09.123456+02'", "'infinity'"),
        ("c_timestamp", "timestamp", "'2024-05-06 07:08:09.5'", "'-infinity'"),
        ("c_date", "date", "'2024-02-29'", "'0001-01-01'"),
        ("c_uuid", "uuid", "'6f1c2b4e-9a53-4b1e-8f0e-0c4d2a9b7e11'", "'00000000-0000-0000-0000-000000000000'"),
    ];

    [Fact]
    public async Task Every_model_value_reads_as_GetValue_reads_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Every_model_value_reads_as_GetValue_reads_it));
        await using (var create = db.CreateCommand($"""
            CREATE TABLE every (id int PRIMARY KEY, {string.Join(", ", Columns.Select(c => $"{c.Column} {c.Type}"))});
            INSERT INTO every VALUES (1, {string.Join(", ", Columns.Select(c => c.First))});
            INSERT INTO every VALUES (2, {string.Join(", ", Columns.Select(c => c.Second))});
            INSERT INTO every (id) VALUES (3);
            """))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var command = db.CreateCommand($"SELECT {string.Join(", ", Columns.Select(c => c.Column))} FROM every ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var kinds = ModelValues.KindsOf(reader, Columns.Length);
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            for (var i = 0; i < Columns.Length; i++)
            {
                var expected = SourceValues.Read(reader, i);
                var actual = ModelValues.Read(reader, i, kinds[i]);
                var what = $"row {rows}, {Columns[i].Column} ({Columns[i].Type})";
                Assert.True(expected?.GetType() == actual?.GetType(), $"{what}: {expected?.GetType()} read as {actual?.GetType()}");
                if (expected is UnreadableValue unreadable)
                {
                    Assert.Equal(unreadable.Reason, ((UnreadableValue)actual!).Reason);
                    continue;
                }

                Assert.True(Equals(expected, actual), $"{what}: {expected} read as {actual}");
                if (expected is DateTime timestamp)
                {
                    Assert.Equal(timestamp.Kind, ((DateTime)actual!).Kind);
                }
            }
        }

        Assert.Equal(3, rows);
        Assert.Equal(ModelValues.Kind.DateTime, kinds[Array.FindIndex(Columns, c => c.Column == "c_timestamptz")]);
        Assert.Equal(ModelValues.Kind.DateTime, kinds[Array.FindIndex(Columns, c => c.Column == "c_timestamp")]);
    }
}
