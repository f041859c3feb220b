namespace Sluice.Postgres.Sources.Models;

/// <summary>A read under way: every record, or the changed ones up to the cursors <paramref name="To"/>; <paramref name="After"/> the last key handled.</summary>
internal sealed record ModelRead(bool Whole, IReadOnlyDictionary<string, string> To, string? After);
