using System.Globalization;
using Sluice.Core.Configuration.Internal;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>Typed reads of single values. Each returns null when the key is absent or empty (<c>key:</c>, <c>~</c>).</summary>
public sealed partial class ConfigSection
{
    /// <summary>A single value with <c>${VAR}</c> expanded; an error when the key holds a mapping or a list.</summary>
    public string? GetString(string key)
    {
        MarkKnown(key);
        if (!_byKey.TryGetValue(key, out var entry) || IsNull(entry.Value))
        {
            return null;
        }

        if (entry.Value is not YamlScalarNode scalar)
        {
            throw WrongShape(entry, "a single value");
        }

        return EnvironmentInterpolation.Expand(scalar.Value ?? "", _context.LookupVariable, ValueLocation(entry), _context.Secrets);
    }

    /// <summary>A single value that must be present and not empty; otherwise an error with <paramref name="fix"/>.</summary>
    public string RequireString(string key, string fix)
    {
        var value = GetString(key);
        if (value is null)
        {
            throw Missing(key, fix);
        }

        if (value.Length == 0)
        {
            var raw = ((YamlScalarNode)_byKey[key].Value).Value ?? "";
            var why = raw.Contains("${", StringComparison.Ordinal) ? $"its value {raw.Trim()} is empty" : "its value is empty";
            throw new ConfigException(LocationOf(key), $"missing required key '{key}': {why}", fix);
        }

        return value;
    }

    /// <summary>A whole number (<c>10_000</c> allowed), optionally within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? GetInt(string key, int? min = null, int? max = null)
    {
        var text = GetString(key);
        if (text is null)
        {
            return null;
        }

        var range = RangeText(min, max);
        if (!int.TryParse(text.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new ConfigException(
                LocationOf(key),
                $"'{key}' must be a whole number, not {Shown(key, text)}",
                range is null ? "write a whole number without quotes or units, e.g. 100" : $"write a whole number {range}");
        }

        if (value < min || value > max)
        {
            throw new ConfigException(LocationOf(key), $"'{key}' is {Show(key, value.ToString(CultureInfo.InvariantCulture))}, but must be {range}", $"use a value {range}");
        }

        return value;
    }

    /// <summary>A number, optionally within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double? GetDouble(string key, double? min = null, double? max = null)
    {
        var text = GetString(key);
        if (text is null)
        {
            return null;
        }

        var range = RangeText(min, max);
        if (!double.TryParse(text.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            throw new ConfigException(
                LocationOf(key),
                $"'{key}' must be a number, not {Shown(key, text)}",
                range is null ? "write a number without quotes or units, e.g. 0.5" : $"write a number {range}");
        }

        if (value < min || value > max)
        {
            throw new ConfigException(
                LocationOf(key),
                $"'{key}' is {Show(key, value.ToString(CultureInfo.InvariantCulture))}, but must be {range}",
                $"use a value {range}");
        }

        return value;
    }

    /// <summary><c>true</c>/<c>false</c> (also <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>), any case.</summary>
    public bool? GetBool(string key)
    {
        var text = GetString(key);
        return text?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw new ConfigException(LocationOf(key), $"'{key}' must be true or false, not {Shown(key, text)}", "write true or false"),
        };
    }

    /// <summary>
    /// A duration with a unit: <c>250ms</c>, <c>5s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>; fractions
    /// (<c>1.5s</c>) and sums (<c>1h30m</c>) too. A bare number is an error, because <c>500</c>
    /// could mean milliseconds or seconds.
    /// </summary>
    public TimeSpan? GetDuration(string key)
    {
        var text = GetString(key);
        if (text is null)
        {
            return null;
        }

        var compact = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (DurationParser.TryParse(compact, out var duration))
        {
            return duration;
        }

        if (DurationParser.IsBareNumber(compact))
        {
            var example = FromEnvironment(key) ? "500ms or 30s" : $"{compact}ms or {compact}s";
            throw new ConfigException(
                LocationOf(key),
                $"'{key}' is {Show(key, compact)} without a unit",
                $"write it with a unit, e.g. {example} (units: {DurationParser.Units})");
        }

        throw new ConfigException(
            LocationOf(key),
            $"'{key}' must be a duration, not {Shown(key, text)}",
            $"write a number and a unit, e.g. 250ms, 5s, 1m, 2h or 1d (units: {DurationParser.Units})");
    }

    /// <summary>
    /// One of <typeparamref name="T"/>'s names, case-insensitive, with snake_case or kebab-case
    /// for PascalCase (<c>verify-full</c> is <c>VerifyFull</c>); numbers are not accepted.
    /// </summary>
    public T? GetEnum<T>(string key)
        where T : struct, Enum
    {
        var text = GetString(key);
        if (text is null)
        {
            return null;
        }

        if (EnumNames.TryParse<T>(text, out var value))
        {
            return value;
        }

        // A suggestion close to a value from the environment would hint at that value.
        var hidden = FromEnvironment(key);
        var allowed = EnumNames.Display<T>(hidden ? "-" : text);
        var suggestion = hidden ? null : NameSuggestions.Closest(text.Trim(), allowed);
        throw new ConfigException(
            LocationOf(key),
            $"'{key}' must be one of: {string.Join(", ", allowed)}; not {Shown(key, text)}",
            suggestion is null ? null : $"did you mean '{suggestion}'?");
    }

    /// <summary>
    /// A password, token or key, wrapped so it never prints; null when absent or empty. Literal
    /// values are accepted, but the file should say <c>${VAR}</c> (docs/config.md, "Secrets").
    /// Errors about this key never quote its value.
    /// </summary>
    public Secret? GetSecret(string key)
    {
        lock (_gate)
        {
            _secretKeys.Add(key);
        }

        var text = GetString(key);
        return string.IsNullOrEmpty(text) ? null : new Secret(text);
    }

    /// <summary>A single value (a list of one) or a list of single values; null when absent.</summary>
    public IReadOnlyList<string>? GetStringList(string key)
    {
        MarkKnown(key);
        if (!_byKey.TryGetValue(key, out var entry) || IsNull(entry.Value))
        {
            return null;
        }

        if (entry.Value is YamlScalarNode)
        {
            return [GetString(key)!];
        }

        if (entry.Value is not YamlSequenceNode sequence)
        {
            throw WrongShape(entry, "a value or a list of values");
        }

        var keyPath = Join(Path, key);
        var values = new List<string>(sequence.Children.Count);
        foreach (var (item, index) in sequence.Children.Select((item, index) => (item, index)))
        {
            var location = _context.At(item.Start, $"{keyPath}[{index}]");
            if (item is not YamlScalarNode scalar || IsNull(item))
            {
                throw new ConfigException(location, $"item {index + 1} of '{key}' must be a single value, not {Describe(item)}", "write the list as [a, b] or as '- a' lines");
            }

            values.Add(EnvironmentInterpolation.Expand(scalar.Value ?? "", _context.LookupVariable, location, _context.Secrets));
        }

        return values;
    }

    /// <summary>
    /// How an error message may show the key's value: <paramref name="shown"/> (by default the value in quotes)
    /// when the file writes it out; when it comes wholly or partly from <c>${VAR}</c>, the value as written with
    /// the variables named, never their values (<c>'${APP_DB_PASSWORD}' (the value of APP_DB_PASSWORD, not shown)</c>),
    /// since a variable may hold a secret whatever key it is given to. A secret key's value is never shown.
    /// Every error that quotes a value read from a section should quote it through this.
    /// </summary>
    public string Show(string key, string? shown = null)
    {
        lock (_gate)
        {
            if (_secretKeys.Contains(key))
            {
                return "the value given (hidden: it is a secret)";
            }
        }

        var (written, variables) = Written(key);
        return variables.Count > 0
            ? $"'{written}' ({EnvironmentInterpolation.DescribeHidden(variables)})"
            : shown ?? $"'{GetString(key)}'";
    }

    /// <summary>Whether the key's value comes wholly or partly from <c>${VAR}</c>.</summary>
    private bool FromEnvironment(string key) => Written(key).Variables.Count > 0;

    /// <summary>The key's value as the file writes it (a list's items joined), and the variables it refers to.</summary>
    private (string Text, IReadOnlyList<string> Variables) Written(string key)
    {
        var raws = !_byKey.TryGetValue(key, out var entry) ? []
            : entry.Value switch
            {
                YamlScalarNode scalar => [scalar.Value ?? ""],
                YamlSequenceNode sequence => sequence.Children.OfType<YamlScalarNode>().Select(item => item.Value ?? "").ToList(),
                _ => new List<string>(),
            };
        var text = string.Join(", ", raws).Trim();
        return (text, EnvironmentInterpolation.References(text));
    }

    private string Shown(string key, string value) => Show(key, $"'{value}'");

    private static string? RangeText<T>(T? min, T? max)
        where T : struct, IFormattable => (min, max) switch
        {
            ({ } lo, { } hi) => $"between {lo.ToString(null, CultureInfo.InvariantCulture)} and {hi.ToString(null, CultureInfo.InvariantCulture)}",
            ({ } lo, null) => $"at least {lo.ToString(null, CultureInfo.InvariantCulture)}",
            (null, { } hi) => $"at most {hi.ToString(null, CultureInfo.InvariantCulture)}",
            _ => null,
        };
}
