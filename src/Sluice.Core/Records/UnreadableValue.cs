namespace Sluice.Core.Records;

/// <summary>
/// Stands in for a value the source could not read (a numeric beyond .NET's range, an unknown type).
/// Encoding a record that holds one dead-letters that record with <see cref="Reason"/>; the rest flows on.
/// </summary>
public sealed record UnreadableValue(string Reason);
