using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.Processing.Validation;

/// <summary>
/// A sync's <c>validate:</c>: rules that each name a field of the event and the reference column its value must exist
/// in, e.g. <c>validate: {user: {field: userId, exists_in: app.public.users.id}}</c> (docs/segment.md, S5).
/// </summary>
public sealed class ValidationOptions
{
    /// <summary>The rules, in the order written.</summary>
    public IReadOnlyList<ValidationRule> Rules { get; init; } = [];

    /// <summary>
    /// How many values found in a reference column each rule remembers, so that a busy user or product is not looked
    /// up in every batch. Default 10,000; past it the rule forgets what it remembered and starts again.
    /// </summary>
    public int CacheSize { get; init; } = 10_000;

    /// <summary>
    /// How long a value found stays remembered: a row deleted from the reference table is noticed at most this late.
    /// Values not found are never remembered, so a row added is noticed by the next batch. Default 60 s.
    /// </summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The sync's <c>validate:</c>; null when it has none.</summary>
    public static ValidationOptions? Bind(SyncConfig sync)
    {
        if (!sync.Section.Has("validate"))
        {
            return null;
        }

        const string Fix = "write one rule per name, e.g. 'validate: {user: {field: userId, exists_in: app.public.users.id}}'";
        var section = sync.Section.GetSection("validate")
            ?? throw new ConfigException(sync.Section.LocationOf("validate"), "'validate' is not a mapping of rules", Fix);
        var rules = new List<ValidationRule>();
        foreach (var name in section.Keys)
        {
            var rule = section.GetSection(name)
                ?? throw new ConfigException(section.LocationOf(name), $"rule '{name}' is not a mapping", Fix);
            rules.Add(ValidationRule.Bind(name, rule));
        }

        if (rules.Count == 0)
        {
            throw new ConfigException(sync.Section.LocationOf("validate"), "'validate' has no rules", Fix);
        }

        return new ValidationOptions { Rules = rules };
    }
}
