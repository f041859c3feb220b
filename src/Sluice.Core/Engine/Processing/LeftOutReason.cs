namespace Sluice.Core.Engine.Processing;

/// <summary>
/// Why a processor left a record out (<c>no match in app for Email 'x'</c>), kept with the record's ledger entry among its
/// stored values under <see cref="Key"/> so that <c>sluice explain</c> can say it; no column of its own is needed.
/// </summary>
public static class LeftOutReason
{
    /// <summary>The stored value's name; no source column is named so (a dot and the prefix).</summary>
    public const string Key = "sluice.left_out";

    /// <summary><paramref name="values"/> with the reason added.</summary>
    public static IReadOnlyDictionary<string, string?> With(IReadOnlyDictionary<string, string?>? values, string reason)
    {
        var with = values is null ? new Dictionary<string, string?>(StringComparer.Ordinal) : new Dictionary<string, string?>(values, StringComparer.Ordinal);
        with[Key] = reason;
        return with;
    }
}
