using System.Text.Json;
using Sluice.State;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// <see cref="WatchedValuesJson.Write"/> writes text that needs no escaping without a JSON writer: what it writes must
/// be the JSON object the writer would give, for every shape of names and values, and read back as it was.
/// </summary>
public sealed class WatchedValuesJsonTests
{
    public static TheoryData<string[], string?[]> Shapes => new()
    {
        { [], [] },
        { ["#rows in public.orders by customer_id"], ["10"] },
        { ["plan", "status"], ["pro", null] },
        { ["a"], [""] },
        { ["a", "b", "c"], [null, null, "x y ~!<>&+'`"] },
        { ["quote"], ["say \"hi\""] },
        { ["back\\slash"], ["c:\\x"] },
        { ["é"], ["naïve"] },
        { ["tab"], ["a\tb\nc"] },
        { ["emoji"], ["\ud83d\ude00"] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Written_values_are_the_object_a_json_writer_gives_and_read_back(string[] names, string?[] values)
    {
        var watched = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            watched[names[i]] = values[i];
        }

        var json = WatchedValuesJson.Write(watched);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.Equal(JsonSerializer.Serialize(watched), JsonSerializer.Serialize(document.RootElement));
        Assert.Equal(watched, WatchedValuesJson.Read(json));
    }
}
