using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(QueryPosition.Stored))]
internal sealed partial class QueryPositionJson : JsonSerializerContext;
