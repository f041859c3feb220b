using Sluice.Core.Connectors;

namespace Sluice.Postgres.Tests.Warehouse;

/// <summary>
/// Inputs a public write key can send that once stopped the warehouse sync or changed values silently. Each event is
/// written as the ingest queue hands it over: the JSON text as sent, escapes intact.
/// </summary>
public sealed class WarehouseHostileInputTests
{
    private const string Received = "2024-05-01T10:00:05Z";

    [Fact]
    public async Task A_key_with_a_lone_surrogate_goes_to_discards_and_the_event_lands()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_key_with_a_lone_surrogate_goes_to_discards_and_the_event_lands));

        var results = await bed.WriteAsync(
            """{"type":"track","messageId":"t1","userId":"u","event":"E","receivedAt":"2024-05-01T10:00:05Z","properties":{"\udc00":1,"ok":2}}""",
            """{"type":"identify","messageId":"i1","userId":"u","receivedAt":"2024-05-01T10:00:05Z","traits":{"a\ud800b":{"x":1},"plan":"pro"}}""",
            """{"type":"page","messageId":"p1","userId":"u","receivedAt":"2024-05-01T10:00:05Z","context":{"\udfff":"v","ip":"10.0.0.1"},"properties":{"list":["\udc00",{"\udc00":1}]}}""");

        AssertOk(results);
        Assert.Equal([["t1", "2"]], await bed.RowsAsync("SELECT id, ok::text FROM web.e"));
        Assert.Equal([["i1", "pro"]], await bed.RowsAsync("SELECT id, plan FROM web.identifies"));
        Assert.Equal([["u", "pro"]], await bed.RowsAsync("SELECT id, plan FROM web.users"));
        Assert.Equal([["p1", "10.0.0.1"]], await bed.RowsAsync("SELECT id, context_ip FROM web.pages"));
        Assert.Equal(1L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.pages WHERE list IS NOT NULL"));
        var discards = await bed.RowsAsync("SELECT table_name, row_id, column_name, column_value, reason FROM web.discards ORDER BY table_name, column_name");
        Assert.Equal(
            [("e", "t1", "\\udc00", "1"), ("identifies", "i1", "a\\ud800b", "{\"x\":1}"), ("pages", "p1", "context_\\udfff", "v"), ("users", "u", "a\\ud800b", "{\"x\":1}")],
            discards.Select(d => (d[0], d[1], d[2], d[3])));
        Assert.All(discards, d => Assert.Contains("not valid Unicode", d[4], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nul_and_lone_surrogates_in_values_and_ids_are_stored_as_U_FFFD_and_kept_as_sent_in_discards()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Nul_and_lone_surrogates_in_values_and_ids_are_stored_as_U_FFFD_and_kept_as_sent_in_discards));

        // "m\u0000" and "m" are two events: neither may be taken for a replay of the other.
        var results = await bed.WriteAsync(
            """{"type":"track","messageId":"m\u0000","userId":"u\u0000","event":"E\u0000","receivedAt":"2024-05-01T10:00:05Z","properties":{"s":"a\u0000b","k\u0000":"v","arr":["x\u0000"]}}""",
            """{"type":"track","messageId":"m","userId":"u","event":"E","receivedAt":"2024-05-01T10:00:05Z","properties":{"s":"x\udc00y"}}""",
            """{"type":"track","messageId":"n\ud800","userId":"u","event":"E","receivedAt":"2024-05-01T10:00:05Z","properties":{"s":"plain"}}""");

        AssertOk(results);
        Assert.Equal(
            [["m", "u", "x\uFFFDy"], ["m\uFFFD", "u\uFFFD", "a\uFFFDb"], ["n\uFFFD", "u", "plain"]],
            await bed.RowsAsync("SELECT id, user_id, s FROM web.e ORDER BY id"));
        Assert.Equal([["m\uFFFD", "E\uFFFD", "v", "[\"x\\u0000\"]"]], await bed.RowsAsync("SELECT id, event_text, k, arr FROM web.e WHERE k IS NOT NULL"));
        Assert.Equal(
            [
                ("m", "s", "\"x\\udc00y\""),
                ("m\uFFFD", "event_text", "\"E\\u0000\""),
                ("m\uFFFD", "id", "\"m\\u0000\""),
                ("m\uFFFD", "s", "\"a\\u0000b\""),
                ("m\uFFFD", "user_id", "\"u\\u0000\""),
                ("n\uFFFD", "id", "\"n\\ud800\""),
            ],
            (await bed.RowsAsync("SELECT row_id, column_name, column_value FROM web.discards WHERE table_name = 'e' ORDER BY row_id, column_name"))
                .Select(d => (d[0], d[1], d[2])));
        var mapping = WarehouseBed.Mapping(bed.Destination);
        Assert.Equal("m\uFFFD", bed.Destination.Encode(WarehouseBed.Change(mapping, """{"type":"track","messageId":"m\u0000"}"""), mapping).MessageId);
        Assert.Equal("n\uFFFD", bed.Destination.Encode(WarehouseBed.Change(mapping, """{"type":"track","messageId":"n\ud800"}"""), mapping).MessageId);
    }

    [Fact]
    public async Task Numbers_are_stored_exactly_as_written()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Numbers_are_stored_exactly_as_written));

        AssertOk(await bed.WriteAsync(Track("t1", "N", """
            {"a": 0.99999999999999999999999999999, "b": 1e-400, "c": 1e400, "d": -0, "e": 123456789012345678901234567890,
             "f": 1.5e3, "g": 9223372036854775808, "h": -9223372036854775809, "i": 1e1001, "j": 9223372036854775807, "k": 1.0}
            """)));

        var columns = (await bed.ColumnsAsync())["n"];
        Assert.Equal(
            ["numeric", "numeric", "numeric", "bigint", "numeric", "bigint", "numeric", "numeric", "text", "bigint", "bigint"],
            new[] { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k" }.Select(c => columns[c]));
        Assert.Equal(
            [["0.99999999999999999999999999999", "True", "True", "0", "123456789012345678901234567890", "1500", "9223372036854775808", "-9223372036854775809", "1e1001", "9223372036854775807", "1"]],
            await bed.RowsAsync("""
                SELECT a::text, b = 1e-400, c = 1e400, d::text, e::text, f::text, g::text, h::text, i, j::text, k::text FROM web.n
                """));
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.discards"));
    }

    [Fact]
    public async Task A_number_an_existing_bigint_column_cannot_hold_exactly_goes_to_discards_and_is_never_rounded()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_number_an_existing_bigint_column_cannot_hold_exactly_goes_to_discards_and_is_never_rounded));
        AssertOk(await bed.WriteAsync(Track("t0", "N", """{"n": 1, "x": 1.5}""")));

        AssertOk(await bed.WriteAsync(
            Track("t1", "N", """{"n": 0.99999999999999999999999999999, "x": 1e1001}"""),
            Track("t2", "N", """{"n": 1e-400}"""),
            Track("t3", "N", """{"n": 123456789012345678901234567890}"""),
            Track("t4", "N", """{"n": 1.5e3}""")));

        Assert.Equal(
            [["t0", "1"], ["t1", null], ["t2", null], ["t3", null], ["t4", "1500"]],
            await bed.RowsAsync("SELECT id, n::text FROM web.n ORDER BY id"));
        var discards = await bed.RowsAsync("SELECT row_id, column_name, column_value, reason FROM web.discards ORDER BY row_id, column_name");
        Assert.Equal(
            [("t1", "n", "0.99999999999999999999999999999"), ("t1", "x", "1e1001"), ("t2", "n", "1e-400"), ("t3", "n", "123456789012345678901234567890")],
            discards.Select(d => (d[0], d[1], d[2])));
        Assert.Contains("bigint", discards[0][3], StringComparison.Ordinal);
        Assert.Contains("numeric", discards[1][3], StringComparison.Ordinal);
    }

    private static void AssertOk(IReadOnlyList<WriteResult> results) =>
        Assert.All(results, r => Assert.True(r.Status == WriteStatus.Ok, r.Reason));

    private static string Track(string id, string name, string properties) =>
        $$"""{"type":"track","messageId":"{{id}}","userId":"u","event":"{{name}}","receivedAt":"{{Received}}","properties":{{properties}}}""";
}
