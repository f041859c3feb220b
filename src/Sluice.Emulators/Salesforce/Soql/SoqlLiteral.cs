namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// A value in a condition. <see cref="Value"/> is null, a <see cref="bool"/>, a <see cref="decimal"/>, a
/// <see cref="string"/>, a <see cref="DateOnly"/>, a <see cref="DateTimeOffset"/> or a <see cref="SoqlDateLiteral"/>.
/// </summary>
internal sealed record SoqlLiteral(SoqlLiteralKind Kind, object? Value, int Position)
{
    public static SoqlLiteral Null(int position) => new(SoqlLiteralKind.Null, null, position);
}
