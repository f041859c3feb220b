namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>The kinds of value a SOQL condition can compare with.</summary>
internal enum SoqlLiteralKind
{
    Null,
    Boolean,
    Number,
    String,
    Date,
    DateTime,

    /// <summary>A relative range such as <c>TODAY</c> or <c>LAST_N_DAYS:7</c> (<see cref="SoqlDateLiteral"/>).</summary>
    DateRange,
}
