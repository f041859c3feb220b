using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>JSON settings of the emulator's own bodies (camelCase, like Segment's).</summary>
internal static class EmulatorJson
{
    public static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    /// <summary>For <c>PUT /__emulator/faults</c>: a misspelt field is an error, not a silent no-op.</summary>
    public static readonly JsonSerializerOptions Strict = new(Compact)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
