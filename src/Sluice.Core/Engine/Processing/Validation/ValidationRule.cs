using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.Processing.Validation;

/// <summary>One entry of a sync's <c>validate:</c>: the value at <see cref="Field"/> must exist in <see cref="ExistsIn"/>.</summary>
/// <param name="Name">The rule's name (the key under <c>validate:</c>), as quarantine reasons show it.</param>
/// <param name="Field">A dot path into the event as sent (<c>userId</c>, <c>properties.product_id</c>).</param>
/// <param name="ExistsIn">The reference column.</param>
/// <param name="When">Event names the rule applies to (the event's <c>event</c>, or a page's or screen's <c>name</c>); empty: every event.</param>
/// <param name="AllowMissing">Whether an event without the field passes (<c>allow_missing: true</c>); default false: it fails the rule.</param>
public sealed record ValidationRule(string Name, string Field, ReferenceColumn ExistsIn, IReadOnlyList<string> When, bool AllowMissing)
{
    /// <summary>The field's path, split once.</summary>
    internal string[] Path { get; } = Field.Split('.');

    /// <summary>Reads one rule.</summary>
    internal static ValidationRule Bind(string name, ConfigSection rule)
    {
        var field = rule.RequireString("field", "name the event's field to check, e.g. 'field: userId' or 'field: properties.product_id'");
        if (field.Split('.').Any(p => p.Length == 0))
        {
            throw new ConfigException(rule.LocationOf("field"), $"'field' is '{field}', which is not a dot path", "write the path from the event's root, e.g. 'properties.product_id'");
        }

        var existsIn = ReferenceColumn.Parse(
            rule.RequireString("exists_in", "say where the value must exist: 'exists_in: CONNECTION.SCHEMA.TABLE.COLUMN', e.g. 'app.public.users.id'"),
            rule.LocationOf("exists_in"));
        IReadOnlyList<string> when = rule.GetStringList("when") ?? [];
        var allowMissing = rule.GetBool("allow_missing") ?? false;
        rule.RejectUnknownKeys();
        return new ValidationRule(name, field, existsIn, when, allowMissing);
    }
}
