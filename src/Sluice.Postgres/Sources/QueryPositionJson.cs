using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QueryPosition.Stored))]
internal sealed partial class QueryPositionJson : JsonSerializerContext;
