using System.Text.Json.Serialization;

namespace Sluice.Postgres.Sources;

/// <summary>A composite key is its values as a JSON array: unambiguous whatever the values contain.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class TableKeyJson : JsonSerializerContext;
