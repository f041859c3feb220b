using Npgsql;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Sources;

/// <summary>
/// The table source's typed column reads give exactly what <c>GetValue</c> gives (<see cref="SourceValues.Read"/>): the same
/// .NET type, value and <see cref="DateTimeKind"/> for every type a table can hold, NULLs, extremes and values the driver
/// cannot hand over.
/// </summary>
public sealed class TableRowReaderTests
{
    // Column, type, and the values of rows 1..3 as SQL (row 3 is all NULL).
    private static readonly (string Column, string Type, string First, string Second)[] Columns =
    [
        ("c_text", "text", "'héllo \"x\"'", "''"),
        ("c_varchar", "varchar(20)", "'abc'", "'Z'"),
        ("c_char", "char(3)", "'ab'", "'xyz'"),
        ("c_char1", "char", "'a'", "'b'"),
        ("c_json", "json", "'{\"a\": [1, 2]}'", "'null'"),
        ("c_jsonb", "jsonb", "'{\"b\": {\"c\": true}}'", "'[]'"),
        ("c_bigint", "bigint", "9223372036854775807", "-9223372036854775808"),
        ("c_int", "integer", "2147483647", "-1"),
        ("c_smallint", "smallint", "-32768", "0"),
        ("c_bool", "boolean", "true", "false"),
        ("c_double", "double precision", "'NaN'", "-1.5e300"),
        ("c_real", "real", "'Infinity'", "3.25"),
        ("c_numeric", "numeric(12,2)", "12.50", "-0.01"),
        ("c_numeric_wide", "numeric", "'NaN'", "1e40"),
        ("c_timestamptz", "timestamptz", "'2024-05-06 07:08:09.123456+02'", "'infinity'"),
        ("c_timestamp", "timestamp", "'2024-05-06 07:08:09.5'", "'-infinity'"),
        ("c_date", "date", "'2024-02-29'", "'0001-01-01'"),
        ("c_uuid", "uuid", "'6f1c2b4e-9a53-4b1e-8f0e-0c4d2a9b7e11'", "'00000000-0000-0000-0000-000000000000'"),
        ("c_enum", "mood", "'happy'", "'sad'"),
        ("c_domain", "positive", "5", "7"),
        ("c_text_array", "text[]", "'{a,NULL,\"b c\"}'", "'{}'"),
        ("c_int_array", "integer[]", "'{1,2}'", "'{}'"),
        ("c_bytea", "bytea", "'\\x0102ff'", "''"),
        ("c_interval", "interval", "'1 day 02:03:04'", "'-1 month'"),
        ("c_time", "time", "'13:14:15.5'", "'00:00'"),
        ("c_inet", "inet", "'203.0.113.9'", "'::1'"),
    ];

    [Fact]
    public async Task Every_column_type_reads_as_GetValue_reads_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Every_column_type_reads_as_GetValue_reads_it));
        var definitions = string.Join(", ", Columns.Select(c => $"{c.Column} {c.Type}"));
        await Execute(db, $"""
            CREATE TYPE mood AS ENUM ('happy', 'sad');
            CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
            CREATE TABLE every (id int PRIMARY KEY, {definitions});
            INSERT INTO every VALUES (1, {string.Join(", ", Columns.Select(c => c.First))});
            INSERT INTO every VALUES (2, {string.Join(", ", Columns.Select(c => c.Second))});
            INSERT INTO every (id) VALUES (3);
            """);

        await using var command = db.CreateCommand($"SELECT {string.Join(", ", Columns.Select(c => c.Column))} FROM every ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var typed = new TableRowReader(reader);
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            for (var i = 0; i < Columns.Length; i++)
            {
                var expected = SourceValues.Read(reader, i);
                var actual = typed.Read(reader, i);
                var what = $"row {rows}, {Columns[i].Column} ({Columns[i].Type})";
                Assert.True(expected?.GetType() == actual?.GetType(), $"{what}: {expected?.GetType()} read as {actual?.GetType()}");
                if (expected is UnreadableValue unreadable)
                {
                    Assert.Equal(unreadable.Reason, ((UnreadableValue)actual!).Reason);
                    continue;
                }

                Assert.True(Equals(expected, actual) || (expected is System.Collections.IEnumerable e && actual is System.Collections.IEnumerable a && e.Cast<object?>().SequenceEqual(a.Cast<object?>())),
                    $"{what}: {expected} read as {actual}");
                if (expected is DateTime timestamp)
                {
                    Assert.Equal(timestamp.Kind, ((DateTime)actual!).Kind);
                }
            }
        }

        Assert.Equal(3, rows);
        // The common types take the typed path; a type the driver maps otherwise, or an extension's, does not.
        Assert.Equal(TableRowReader.Typed.String, typed[Index("c_varchar")]);
        Assert.Equal(TableRowReader.Typed.Int64, typed[Index("c_bigint")]);
        Assert.Equal(TableRowReader.Typed.Decimal, typed[Index("c_numeric")]);
        Assert.Equal(TableRowReader.Typed.DateTime, typed[Index("c_timestamptz")]);
        Assert.Equal(TableRowReader.Typed.None, typed[Index("c_enum")]);
        Assert.Equal(TableRowReader.Typed.None, typed[Index("c_text_array")]);
    }

    private static int Index(string column) => Array.FindIndex(Columns, c => c.Column == column);

    private static async Task Execute(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
