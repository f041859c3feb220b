namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// A field path checked against the schema: the reference fields it walks through (<c>AccountId</c>, then
/// <c>OwnerId</c> for <c>Account.Owner.Email</c>) and the field it ends at. Reading it follows each reference to the
/// parent record; a null reference or a missing parent reads as null.
/// </summary>
internal sealed class SoqlBoundPath
{
    public SoqlBoundPath(IReadOnlyList<ISoqlColumn> hops, ISoqlColumn leaf, int position)
    {
        Hops = hops;
        Leaf = leaf;
        Position = position;
    }

    public IReadOnlyList<ISoqlColumn> Hops { get; }

    public ISoqlColumn Leaf { get; }

    public int Position { get; }

    /// <summary>The path in describe casing (<c>Account.Name</c>), for errors and duplicate checks.</summary>
    public string Name => string.Join('.', Hops.Select(h => h.RelationshipName).Append(Leaf.Name));

    public object? Read(ISoqlRow row, ISoqlOrg org)
    {
        var current = row;
        foreach (var hop in Hops)
        {
            if (current.Get(hop) is not string id || org.FindRow(id) is not { } parent)
            {
                return null;
            }

            current = parent;
        }

        if (Hops.Count == 0)
        {
            return current.Get(Leaf);
        }

        // A polymorphic parent (Owner, What) may be of another type than the one the path was checked against.
        return ReferenceEquals(current.Table.FindField(Leaf.Name), Leaf) ? current.Get(Leaf)
            : current.Table.FindField(Leaf.Name) is { } same ? current.Get(same) : null;
    }

    /// <summary>Binds <paramref name="path"/> on <paramref name="table"/>, or throws Salesforce's <c>INVALID_FIELD</c>.</summary>
    public static SoqlBoundPath Bind(SoqlFieldPath path, ISoqlTable table, ISoqlOrg org, string soql)
    {
        var parts = path.Parts;

        // SELECT Account.Name FROM Account: a leading object name is allowed when it is no relationship.
        if (parts.Count > 1 && string.Equals(parts[0], table.Name, StringComparison.OrdinalIgnoreCase) && table.FindRelationship(parts[0]) is null)
        {
            parts = parts.Skip(1).ToList();
        }

        var hops = new List<ISoqlColumn>();
        var current = table;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            var relationship = current.FindRelationship(parts[i]);
            var parent = relationship is { ReferenceTo.Count: > 0 } ? org.FindTable(relationship.ReferenceTo[0]) : null;
            if (relationship is null || parent is null)
            {
                throw SoqlException.At("INVALID_FIELD", soql, path.Position,
                    $"Didn't understand relationship '{parts[i]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.");
            }

            hops.Add(relationship);
            current = parent;
        }

        var leaf = current.FindField(parts[^1])
            ?? throw SoqlException.At("INVALID_FIELD", soql, path.Position,
                $"No such column '{parts[^1]}' on entity '{current.Name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.");
        return new SoqlBoundPath(hops, leaf, path.Position);
    }
}
