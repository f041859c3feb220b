namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// A field the flattener gave no column.
/// </summary>
/// <param name="Column">The column it maps to.</param>
/// <param name="Path">Where it was in the event (<c>traits.userId</c>).</param>
/// <param name="Raw">Its value as text.</param>
/// <param name="Reason">Why: a reserved column, or a column another field of the same object already took.</param>
internal sealed record RejectedField(string Column, string Path, string Raw, string Reason);
