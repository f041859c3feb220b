using System.Net;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;

namespace Sluice.Core.Tests.Engine.Diffing;

/// <summary>
/// Stored fingerprints (record_state) must stay valid across releases: a fingerprint that changed for the same
/// values would make every record of every diffing sync "changed" once, resending whole tables.
/// </summary>
public sealed class RecordFingerprintTests
{
    private static readonly string[] Columns =
    [
        "text", "null", "long", "int", "ulong", "decimal", "double", "float", "bool", "timestamp", "timestamptz",
        "date", "time", "interval", "uuid", "bytea", "unreadable", "json", "matrix", "list", "inet",
    ];

    private static object?[] Sample() =>
    [
        "héllo \U0001F600", null, 9_007_199_254_740_993L, -42, ulong.MaxValue, 1.00m, 0.1, 1.5f, true,
        new DateTime(2024, 2, 29, 13, 14, 15, DateTimeKind.Unspecified).AddTicks(1234567), new DateTimeOffset(2024, 2, 29, 13, 14, 15, TimeSpan.FromHours(2)),
        new DateOnly(1999, 12, 31), new TimeOnly(23, 59, 58), TimeSpan.FromMinutes(90), Guid.Parse("0b7e9f0a-6c1d-4e44-9a8f-3f2a1b0c9d8e"),
        new byte[] { 0, 1, 254, 255 }, new UnreadableValue("type xml cannot be read"),
        new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new[] { "x", null } }, new int[,] { { 1, 2 }, { 3, 4 } }, new List<string?> { "p", null },
        IPAddress.Parse("10.0.0.1"),
    ];

    [Fact]
    public void The_fingerprint_of_sample_values_is_the_one_stored_by_earlier_releases()
    {
        using var fingerprint = new RecordFingerprint(Columns);

        fingerprint.Compute(Sample());

        // Computed by the fingerprint as it was when it lived in Sluice.Postgres (format version 1).
        Assert.Equal("c60f6ff8e41025c313091324eecbd8e1", Convert.ToHexStringLower(fingerprint.ToArray()));
    }

    [Fact]
    public void The_fingerprint_ignores_the_order_of_columns_and_sees_any_value_change()
    {
        using var fingerprint = new RecordFingerprint(Columns);
        fingerprint.Compute(Sample());
        var stored = fingerprint.ToArray();

        using var reordered = new RecordFingerprint([.. Columns.Reverse()]);
        reordered.Compute([.. Sample().Reverse()]);
        Assert.True(reordered.Matches(stored));

        var changed = Sample();
        changed[5] = 1.0m; // the same number, sent with another scale
        fingerprint.Compute(changed);
        Assert.False(fingerprint.Matches(stored));
    }
}
