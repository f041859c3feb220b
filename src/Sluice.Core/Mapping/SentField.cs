namespace Sluice.Core.Mapping;

/// <summary>
/// One field a sync sends, as the audit log records it: names only, never values.
/// </summary>
/// <param name="Target">The dotted destination path (<c>traits.email</c>); null for a column the destination reads
/// itself rather than through a mapped field (an event name templated from columns, say).</param>
/// <param name="Column">The source column the value comes from.</param>
/// <param name="Transform">What is done to the value before it leaves (<c>hash</c>, <c>mask email</c>…); null when it is sent as read.</param>
public sealed record SentField(string? Target, string Column, string? Transform)
{
    /// <summary><c>traits.email ← email (hash)</c>.</summary>
    public override string ToString() =>
        (Target is null ? $"{Column} (read by the destination)" : $"{Target} ← {Column}") + (Transform is null ? "" : $" ({Transform})");
}
