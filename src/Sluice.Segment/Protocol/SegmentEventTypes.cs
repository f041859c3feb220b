using System.Text;
using System.Text.Json;

namespace Sluice.Segment.Protocol;

/// <summary>Wire names of <see cref="SegmentEventType"/>: exactly the lower-case <c>type</c> values of the Spec.</summary>
public static class SegmentEventTypes
{
    public const int Count = 6;

    private static readonly string[] Names = ["identify", "track", "page", "screen", "group", "alias"];

    private static readonly byte[][] Utf8Names = [.. Names.Select(Encoding.UTF8.GetBytes)];

    public static IReadOnlyList<string> All => Names;

    public static string Name(SegmentEventType type) => Names[(int)type];

    public static bool TryParse(ReadOnlySpan<byte> utf8, out SegmentEventType type)
    {
        for (var i = 0; i < Utf8Names.Length; i++)
        {
            if (utf8.SequenceEqual(Utf8Names[i]))
            {
                type = (SegmentEventType)i;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>The type named by the reader's current string token, JSON escapes decoded (<c>"\u0074rack"</c> is <c>track</c>).</summary>
    public static bool TryParse(ref Utf8JsonReader reader, out SegmentEventType type)
    {
        if (!reader.ValueIsEscaped)
        {
            return TryParse(reader.ValueSpan, out type);
        }

        for (var i = 0; i < Utf8Names.Length; i++)
        {
            if (reader.ValueTextEquals(Utf8Names[i]))
            {
                type = (SegmentEventType)i;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static bool TryParse(string? name, out SegmentEventType type)
    {
        var index = name is null ? -1 : Array.IndexOf(Names, name);
        type = index < 0 ? default : (SegmentEventType)index;
        return index >= 0;
    }
}
