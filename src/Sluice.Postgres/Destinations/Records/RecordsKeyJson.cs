using System.Text.Json.Serialization;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>A composite record key as its source writes it: a JSON array of the key columns' text.</summary>
[JsonSerializable(typeof(string?[]), TypeInfoPropertyName = "StringArray")]
internal sealed partial class RecordsKeyJson : JsonSerializerContext;
