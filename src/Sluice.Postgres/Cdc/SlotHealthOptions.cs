using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Core.Configuration;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// What <c>sluice status</c> and <c>/metrics</c> watch for one CDC sync, read from its <c>source.cdc</c> mapping:
/// <c>slot</c> and <c>publication</c> (default <see cref="CdcNames"/>), <c>max_lag</c> (retained WAL before a
/// warning, default 1GB), <c>max_lag_time</c> (default 5m) and <c>stall_after</c> (how long a slot may hold WAL
/// without confirming anything before it counts as stalled, default 5m).
/// </summary>
/// <remarks>
/// Read without rejecting unknown keys: the CDC source binds the rest of <c>cdc:</c> and rejects what nobody read.
/// </remarks>
public sealed partial class SlotHealthOptions
{
    public const long DefaultMaxLagBytes = 1L << 30;

    public static readonly TimeSpan DefaultMaxLagTime = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan DefaultStallAfter = TimeSpan.FromMinutes(5);

    /// <summary>The sync's name.</summary>
    public required string Sync { get; init; }

    public required string Slot { get; init; }

    public required string Publication { get; init; }

    /// <summary>Whether the slot and publication are Sluice's own (named by <see cref="CdcNames"/>), which <c>sluice prune</c> may drop; a user's never are.</summary>
    public bool Owned { get; init; } = true;

    /// <summary>Retained WAL, in bytes, above which the slot is reported as WARN. Default 1 GB.</summary>
    public long MaxLagBytes { get; init; } = DefaultMaxLagBytes;

    /// <summary>Lag, in time, above which the slot is reported as WARN. Default 5 minutes.</summary>
    public TimeSpan MaxLagTime { get; init; } = DefaultMaxLagTime;

    /// <summary>How long the slot may hold back WAL without confirming anything before it is STALLED. Default 5 minutes.</summary>
    public TimeSpan StallAfter { get; init; } = DefaultStallAfter;

    /// <summary>The health options of a CDC sync; null for a sync that does not read by CDC.</summary>
    public static SlotHealthOptions? For(SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var (enabled, cdc) = ReadCdc(sync.Source);
        if (!enabled)
        {
            return null;
        }

        var slot = cdc?.GetString("slot");
        var publication = cdc?.GetString("publication");
        return new SlotHealthOptions
        {
            Sync = sync.Name,
            Slot = slot ?? CdcNames.SlotFor(sync.Name),
            Publication = publication ?? CdcNames.PublicationFor(sync.Name),
            Owned = slot is null,
            MaxLagBytes = cdc is null ? DefaultMaxLagBytes : ReadSize(cdc, "max_lag") ?? DefaultMaxLagBytes,
            MaxLagTime = cdc?.GetDuration("max_lag_time") ?? DefaultMaxLagTime,
            StallAfter = cdc?.GetDuration("stall_after") ?? DefaultStallAfter,
        };
    }

    /// <summary>
    /// <c>cdc: true</c> (enabled, no mapping), <c>cdc: {…}</c> (enabled), <c>cdc: false</c> or absent (not CDC); as
    /// <c>CdcSourceOptions.IsRequested</c> reads it.
    /// </summary>
    public static (bool Enabled, ConfigSection? Section) ReadCdc(ConfigSection source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.Has("cdc"))
        {
            return (false, null);
        }

        ConfigSection? section;
        try
        {
            section = source.GetSection("cdc");
        }
        catch (ConfigException)
        {
            // A single value, not a mapping: `cdc: true`.
            return (source.GetBool("cdc") ?? false, null);
        }

        return (section is not null, section);
    }

    /// <summary>A size such as <c>1GB</c>, <c>512MB</c>, <c>64kB</c> or a number of bytes (PostgreSQL's units: 1 kB = 1024 bytes).</summary>
    public static long? ReadSize(ConfigSection section, string key)
    {
        ArgumentNullException.ThrowIfNull(section);
        var text = section.GetString(key);
        if (text is null)
        {
            return null;
        }

        var match = Size().Match(text.Trim().Replace("_", "", StringComparison.Ordinal));
        if (!match.Success)
        {
            throw new ConfigException(section.LocationOf(key), $"'{key}' must be a size, not {section.Show(key)}", "write a number and a unit, e.g. 512MB or 1GB (units: B, kB, MB, GB, TB)");
        }

        var amount = double.Parse(match.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "KB" => 1L << 10,
            "MB" => 1L << 20,
            "GB" => 1L << 30,
            _ => 1L << 40,
        };
        return (long)(amount * unit);
    }

    [GeneratedRegex(@"^(?<amount>\d+(\.\d+)?)\s*(?<unit>|B|kB|KB|MB|GB|TB)$", RegexOptions.IgnoreCase)]
    private static partial Regex Size();
}
