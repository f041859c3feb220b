using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TablePosition.Stored))]
internal sealed partial class TablePositionJson : JsonSerializerContext;
