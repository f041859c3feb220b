namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// One record as the records export writes it: the row's key as text (its destination id), whether it is a delete,
/// its values in <see cref="Layout"/>'s order (staged types; null clears a column), and its groups.
/// </summary>
internal sealed record RecordsRow(string Key, bool Delete, RecordsLayout Layout, object?[] Values, IReadOnlyList<string> Groups);
