using System.Text.Json.Serialization;

namespace Sluice.Postgres.Cdc;

/// <summary>A composite key's column texts as a JSON array, through generated code rather than reflection (Native AOT needs it).</summary>
[JsonSerializable(typeof(IReadOnlyList<string?>), TypeInfoPropertyName = "Parts")]
internal sealed partial class CdcKeyJson : JsonSerializerContext;
