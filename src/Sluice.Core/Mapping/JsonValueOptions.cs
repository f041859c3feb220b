namespace Sluice.Core.Mapping;

/// <summary>
/// How <see cref="JsonValueWriter"/> turns database values into JSON where there is more than one sensible
/// answer. The defaults send every value, keep jsonb nested and keep numbers numbers while they are exact.
/// </summary>
public sealed class JsonValueOptions
{
    /// <summary>The defaults: what a sync gets without a <c>types:</c> section.</summary>
    public static readonly JsonValueOptions Default = new();

    /// <summary>The most significant digits a decimal may have and still be sent as a JSON number (see <see cref="NumericAsString"/>).</summary>
    public const int MaxExactDigits = 15;

    /// <summary>
    /// Default <c>false</c>: a jsonb object is embedded as nested JSON. <c>true</c>: its leaves become
    /// sibling properties named by their path (<c>plan: {tier: pro}</c> → <c>plan_tier: pro</c>); arrays stay arrays.
    /// </summary>
    public bool FlattenJsonb { get; init; }

    /// <summary>Joins the path of a flattened jsonb leaf. Default <c>_</c>, as in Segment's warehouse columns (<c>context_library_name</c>).</summary>
    public string FlattenSeparator { get; init; } = "_";

    /// <summary>
    /// Default <c>false</c>: a <c>numeric</c> value is a JSON number, unless a reader that parses JSON numbers
    /// as doubles (JavaScript, most JSON libraries) would lose digits of it: more than
    /// <see cref="MaxExactDigits"/> significant digits, or beyond the range of a double. Those are sent as strings.
    /// <c>true</c>: every <c>numeric</c> value is a string with all its digits.
    /// </summary>
    public bool NumericAsString { get; init; }

    /// <summary>
    /// Default <c>false</c>: a SQL NULL is sent as JSON <c>null</c> (in Segment, a trait set to null).
    /// <c>true</c>: the property is left out. Nulls inside a jsonb document or an array are part of the value and kept.
    /// </summary>
    public bool OmitNulls { get; init; }
}
