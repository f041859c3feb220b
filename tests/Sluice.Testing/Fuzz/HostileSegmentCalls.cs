using System.Globalization;
using System.Text;
using CsCheck;

namespace Sluice.Testing.Fuzz;

/// <summary>
/// Random Segment Tracking API requests built to hurt: odd and colliding keys, every kind of unicode escape (lone
/// surrogates, NUL, escaped type names), numbers past every numeric type, deep and wide objects, properties that
/// change type from one event to the next, and now and then bytes that are not UTF-8 at all. The JSON is written by
/// hand, not by a serializer, so that what is sent is exactly what a hostile client can send.
/// </summary>
public static class HostileSegmentCalls
{
    /// <summary>Written into a string literal, these become bytes that are not UTF-8 (see <see cref="Encode"/>).</summary>
    private const char BrokenPair = '\uE000';
    private const char LoneFF = '\uE001';

    private static readonly string[] Types = ["track", "identify", "page", "screen", "group", "alias"];

    /// <summary>Pieces of JSON string content, already escaped as they appear between the quotes.</summary>
    private static readonly string[] Fragments =
    [
        "plan", "Order Completed", "a b", "x", "user_42", "é", "日本語", "🎉", "\u200b", "Ω≈ç√",
        @"\u0000", @"\ud83d\ude00", @"\""", @"\\", @"\n\t", @"\u0074", @"\/", @"\u00e9",
        @"\""; DROP TABLE users; --", "Robert'); DROP TABLE students;--", "$1", "%s%n",
        "id", "received_at", "event", "uuid_ts", "user_id", "context_ip", "ID", "Id", "", " ", "_", "__", "1abc",
        "a.b", "a-b", "a__b", "camelCase", "HTTPRequest", "select", "order",
        new string('k', 70), new string('v', 700),
    ];

    /// <summary>
    /// String content no Segment client can mean: lone surrogate escapes and bytes that are not UTF-8. A request
    /// carrying one is refused whole, so they go into few calls (see <see cref="Call"/>) and the rest reach the syncs.
    /// </summary>
    private static readonly string[] Poison = [@"\udc00", @"\ud800", @"x\ud800\ud800", "a" + BrokenPair, LoneFF + "b", @"\udfff\ud83d"];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "42", "3.14", "-2.5E-3", "1.5e3", "0.1", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "0.99999999999999999999999999999", "1e400",
        "1e-400", "-1e400", "1E+2", "2147483648", "4.9e-324", "1.7976931348623157e308",
    ];

    /// <summary>Property names that many events share, so their values' types conflict from one event to the next.</summary>
    private static readonly string[] SharedNames = ["amount", "plan", "count", "flag", "nested", "tags", "price"];

    private static readonly string[] EventNames = ["Order Completed", "Signed Up", "Wide Event", "Deep Event"];

    private static readonly Gen<string> Fragment = Gen.OneOf(Fragments);

    /// <summary>The content of a string literal: one to three fragments.</summary>
    private static readonly Gen<string> Text = Gen.Frequency(
        (60, Fragment),
        (30, Gen.Select(Fragment, Fragment, (a, b) => a + b)),
        (10, Gen.Select(Fragment, Fragment, Fragment, (a, b, c) => a + b + c)));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (40, Text.Select(Quote)),
        (35, Gen.OneOf(Numbers)),
        (10, Gen.OneOf("true", "false")),
        (10, Gen.Const("null")),
        (5, Gen.Int[0, 1_000_000].Select(i => i.ToString(CultureInfo.InvariantCulture))));

    private static readonly Gen<string> Key = Gen.Frequency((50, Text), (50, Gen.OneOf(SharedNames)));

    /// <summary>A JSON value: mostly scalars, sometimes small objects and arrays, nested a few levels.</summary>
    private static readonly Gen<string> Value = Gen.Recursive<string>((depth, value) => depth >= 4
        ? Scalar
        : Gen.Frequency(
            (70, Scalar),
            (15, Gen.Select(Key, value).Array[0, 4].Select(Object)),
            (15, value.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]"))));

    /// <summary>An object of properties or traits: ordinary, wide (many new names), or deeply nested.</summary>
    private static readonly Gen<string> Properties = Gen.Frequency(
        (80, Gen.Select(Key, Value).Array[0, 8].Select(Object)),
        (12, Gen.Int[0, 100_000].Array[100, 200].Select(ids => Object(ids.Select(id => ($"p{id}", id.ToString(CultureInfo.InvariantCulture))).ToArray()))),
        (8, Gen.Int[5, 40].Select(Deep)));

    private static readonly Gen<string> TypeName = Gen.OneOf(Types);

    private static readonly Gen<string> EventName = Gen.Frequency((70, Gen.OneOf(EventNames)), (30, Text.Select(t => "E" + t)));

    private static readonly Gen<string> Timestamp = Gen.OneOf(
        "\"2026-05-01T12:00:00.000Z\"", "\"2026-05-01T12:00:00+02:00\"", "\"not a date\"", "\"\"", "12345", "null",
        "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00Z\"");

    /// <summary>
    /// <paramref name="count"/> requests from <paramref name="seed"/>: the same seed gives the same requests, so a
    /// failure found once is found again. Each call's messageId is <c>{prefix}-{n}</c>, unique in the run.
    /// </summary>
    public static IReadOnlyList<HostileRequest> Generate(int count, ulong seed, string prefix = "fz")
    {
        var call = Gen.Select(TypeName, Gen.Int[0, 99], Gen.Select(Text, EventName, Properties, Properties, Timestamp, Gen.OneOf(Poison)));
        var request = Gen.Select(call.Array[1, 6], Gen.Int[0, 99]);
        var pcg = new PCG(7, seed);
        var requests = new List<HostileRequest>(count);
        var next = 0;
        for (var i = 0; i < count; i++)
        {
            var (calls, shape) = request.Generate(pcg, null, out _);
            var built = calls.Select(c => Call(c.Item1, c.Item2, c.Item3, $"{prefix}-{next++}")).ToList();
            requests.Add(shape < 40 || built.Count == 1
                ? Single(built[0], shape)
                : Batch(built, shape));
        }

        return requests;
    }

    private static (string Json, HostileCall Call) Call(string type, int variant, (string Text, string EventName, string Properties, string Context, string Timestamp, string Poison) parts, string messageId)
    {
        // One call in twenty carries poison: as the user id, the event name, a context key or a context value.
        parts = variant switch
        {
            95 => parts with { Text = parts.Poison },
            96 => parts with { EventName = parts.Poison },
            97 => parts with { Context = "{" + Quote(parts.Poison) + ":1}" },
            98 or 99 => parts with { Context = "{\"ip\":" + Quote(parts.Poison) + "}" },
            _ => parts,
        };

        var fields = new List<(string, string)>
        {
            // An empty user id is answered 200 and dropped, as Segment does: hostile ids always have a first letter.
            // valid JSON for the same type name, spelled with an escape: must be dispatched as the type it decodes to
            ("type", variant < 10 ? Quote(@"\u00" + ((int)type[0]).ToString("x2", CultureInfo.InvariantCulture) + type[1..]) : Quote(type)),
            ("messageId", Quote(messageId)),
            (variant % 3 == 0 ? "anonymousId" : "userId", Quote(variant is < 70 and not 95 ? "u" + (variant % 7).ToString(CultureInfo.InvariantCulture) : variant == 95 ? parts.Text : "u" + parts.Text)),
            ("timestamp", parts.Timestamp),
        };
        switch (type)
        {
            case "track":
                fields.Add(("event", Quote(parts.EventName)));
                fields.Add(("properties", parts.Properties));
                break;
            case "identify":
                fields.Add(("traits", parts.Properties));
                break;
            case "page" or "screen":
                fields.Add(("name", Quote(variant < 50 ? "Home" : parts.Text)));
                fields.Add(("properties", parts.Properties));
                break;
            case "group":
                fields.Add(("groupId", Quote("g" + (variant % 5).ToString(CultureInfo.InvariantCulture))));
                fields.Add(("traits", parts.Properties));
                break;
            default:
                fields.Add(("previousId", Quote("a" + (variant % 5).ToString(CultureInfo.InvariantCulture))));
                break;
        }

        if (variant % 4 == 0 || variant >= 97)
        {
            fields.Add(("context", parts.Context));
        }

        return (Object([.. fields]), new HostileCall(type, messageId));
    }

    private static HostileRequest Single((string Json, HostileCall Call) call, int shape)
    {
        var path = shape % 2 == 0 ? "/v1/" + call.Call.Type : "/v1/" + call.Call.Type[0];
        return new HostileRequest(path, Encode(call.Json), [call.Call]);
    }

    private static HostileRequest Batch(List<(string Json, HostileCall Call)> calls, int shape)
    {
        var body = new StringBuilder("{\"batch\":[").AppendJoin(',', calls.Select(c => c.Json)).Append(']');
        if (shape % 3 == 0)
        {
            body.Append(",\"context\":{\"ip\":\"10.0.0.1\",\"library\":{\"name\":\"fuzz\"}}");
        }

        return new HostileRequest(shape % 2 == 0 ? "/v1/batch" : "/v1/b", Encode(body.Append('}').ToString()), [.. calls.Select(c => c.Call)]);
    }

    private static string Quote(string escapedContent) => "\"" + escapedContent + "\"";

    private static string Object((string Key, string Value)[] members) =>
        "{" + string.Join(",", members.Select(m => Quote(m.Key) + ":" + m.Value)) + "}";

    private static string Deep(int depth) =>
        string.Concat(Enumerable.Repeat("{\"level\":", depth)) + "1" + new string('}', depth);

    /// <summary>UTF-8, except the markers, which become byte sequences no UTF-8 decoder accepts.</summary>
    private static byte[] Encode(string json)
    {
        var bytes = new List<byte>(json.Length + 16);
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in json.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case BrokenPair:
                    bytes.AddRange((byte[])[0xC3, 0x28]);
                    break;
                case LoneFF:
                    bytes.Add(0xFF);
                    break;
                default:
                    bytes.AddRange(buffer[..rune.EncodeToUtf8(buffer)]);
                    break;
            }
        }

        return [.. bytes];
    }
}
