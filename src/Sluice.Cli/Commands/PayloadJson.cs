using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Cli.Commands;

/// <summary>A payload written back as JSON, through generated code rather than reflection (Native AOT needs it).</summary>
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class PayloadJson : JsonSerializerContext;
