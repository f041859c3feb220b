using System.Globalization;
using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.Processing;

/// <summary>
/// <c>max_rejected</c>: how many records one run may dead-letter or quarantine before it stops, as a count
/// (<c>max_rejected: 100</c>) or a share of the records read so far (<c>max_rejected: 5%</c>). A share is judged only
/// once <see cref="MinimumSample"/> records were read, so that the first rejected record of a run does not stop it at 100%.
/// </summary>
/// <param name="Count">At most this many records; <c>null</c> for a share.</param>
/// <param name="Percent">At most this share (0–100) of the records read; <c>null</c> for a count.</param>
public sealed record RejectionLimit(long? Count, double? Percent)
{
    /// <summary>Records a run must have read before a percentage limit can stop it.</summary>
    public const long MinimumSample = 100;

    /// <summary>Whether <paramref name="rejected"/> records of <paramref name="read"/> are past the limit.</summary>
    public bool IsExceeded(long rejected, long read) =>
        Count is { } count ? rejected > count : read >= MinimumSample && rejected * 100.0 > Percent!.Value * read;

    /// <summary>As written in the config: <c>100</c> or <c>5%</c>.</summary>
    public override string ToString() =>
        Count is { } count ? count.ToString(CultureInfo.InvariantCulture) : $"{Percent!.Value.ToString(CultureInfo.InvariantCulture)}%";

    /// <summary>The sync's <c>max_rejected</c>, or <c>null</c> when it has none (no limit).</summary>
    public static RejectionLimit? Bind(ConfigSection sync)
    {
        if (sync.GetString("max_rejected") is not { } text)
        {
            return null;
        }

        const string Fix = "write a number of records (max_rejected: 100) or a percentage of the records read (max_rejected: 5%)";
        var trimmed = text.Trim();
        if (trimmed.EndsWith('%')
            && double.TryParse(trimmed[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent)
            && percent is >= 0 and <= 100)
        {
            return new RejectionLimit(null, percent);
        }

        if (long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return new RejectionLimit(count, null);
        }

        throw new ConfigException(sync.LocationOf("max_rejected"), $"'max_rejected' is {sync.Show("max_rejected", $"'{text}'")}, which is neither a count nor a percentage from 0% to 100%", Fix);
    }
}
