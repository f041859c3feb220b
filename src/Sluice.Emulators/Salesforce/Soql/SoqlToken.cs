namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// One token of a SOQL text: its kind, its source text (a string's unescaped value for <see cref="SoqlTokenKind.String"/>)
/// and where it starts, so an error can point at it as Salesforce does (<c>ERROR at Row:1:Column:30</c>).
/// </summary>
internal readonly record struct SoqlToken(SoqlTokenKind Kind, string Text, int Position)
{
    public bool IsKeyword(string keyword) =>
        Kind == SoqlTokenKind.Identifier && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>The token as Salesforce names it in <c>unexpected token: '…'</c>.</summary>
    public string Shown => Kind switch
    {
        SoqlTokenKind.End => "<EOF>",
        SoqlTokenKind.String => "'" + Text + "'",
        _ => Text,
    };
}
