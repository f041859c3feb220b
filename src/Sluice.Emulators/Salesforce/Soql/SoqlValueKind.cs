namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// How SOQL compares and writes a field's values. Values reach the evaluator as <see cref="string"/> (text, ids),
/// <see cref="decimal"/> or another number, <see cref="bool"/>, <see cref="DateOnly"/>, <see cref="DateTimeOffset"/>,
/// <see cref="TimeOnly"/>, or null.
/// </summary>
internal enum SoqlValueKind
{
    Text,

    /// <summary>An id or reference: an 18-character literal matches ignoring case, a 15-character one by its case.</summary>
    Id,
    Number,
    Boolean,
    Date,
    DateTime,
    Time,
}
