using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources.Models;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelPosition.Stored))]
internal sealed partial class ModelPositionJson : JsonSerializerContext;
