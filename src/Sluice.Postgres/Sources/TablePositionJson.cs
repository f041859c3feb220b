using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TablePosition.Stored))]
[JsonSerializable(typeof(TablePosition.StoredRange))]
internal sealed partial class TablePositionJson : JsonSerializerContext;
