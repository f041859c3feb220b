using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>
/// The config file is wrong. The message names the file, line and key, says what is wrong and,
/// where there is one, the fix:
/// <code>
/// sluice.yaml:12: syncs.users_to_segment.source.tabel: unknown key 'tabel'
///   fix: did you mean 'table'?
/// </code>
/// </summary>
public sealed class ConfigException : SluiceException
{
    public ConfigException(ConfigLocation? location, string problem, string? fix = null)
        : base(ErrorClass.Config, Format(location, problem, fix))
    {
        Location = location;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>Where the problem is; null when it is not inside the file (the file is missing).</summary>
    public ConfigLocation? Location { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>What to do about it, when known.</summary>
    public string? Fix { get; }

    private static string Format(ConfigLocation? location, string problem, string? fix)
    {
        var where = location switch
        {
            null => "",
            { Line: <= 0, KeyPath: "" } => $"{location.File}: ",
            { Line: <= 0 } => $"{location.File}: {location.KeyPath}: ",
            { KeyPath: "" } => $"{location.File}:{location.Line}: ",
            _ => $"{location.File}:{location.Line}: {location.KeyPath}: ",
        };
        return where + problem + (fix is null ? "" : "\n  fix: " + fix);
    }
}
