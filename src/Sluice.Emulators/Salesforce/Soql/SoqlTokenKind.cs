namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>What a SOQL token is; keywords are identifiers until the parser asks for them.</summary>
internal enum SoqlTokenKind
{
    Identifier,
    String,
    Number,
    Date,
    DateTime,
    Comma,
    Dot,
    Colon,
    OpenParen,
    CloseParen,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    End,
}
