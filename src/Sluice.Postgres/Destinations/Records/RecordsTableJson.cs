using System.Text.Json.Serialization;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The destination table's columns as the inspection query returns them (a JSON object of name → type), read through
/// generated code rather than reflection (no run-time metadata; Native AOT needs it).
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>), TypeInfoPropertyName = "StringMap")]
internal sealed partial class RecordsTableJson : JsonSerializerContext;
