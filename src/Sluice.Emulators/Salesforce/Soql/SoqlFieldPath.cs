namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// A field as written in the query: <c>Name</c>, or a path through parent relationships such as
/// <c>Account.Owner.Email</c> (every part but the last is a relationship name). <see cref="Position"/> is where it
/// starts, for errors.
/// </summary>
internal sealed record SoqlFieldPath(IReadOnlyList<string> Parts, int Position)
{
    public override string ToString() => string.Join('.', Parts);
}
