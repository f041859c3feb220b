namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>What the SOQL evaluator reads of an org: objects by name, records by id, the clock for date literals.</summary>
internal interface ISoqlOrg
{
    /// <summary>The object called <paramref name="name"/> (ignoring case), or null.</summary>
    ISoqlTable? FindTable(string name);

    /// <summary>The record with this 18-character id, live or deleted, or null.</summary>
    ISoqlRow? FindRow(string id);

    /// <summary>Now, for <c>TODAY</c>, <c>LAST_N_DAYS:n</c> and friends.</summary>
    DateTimeOffset Now { get; }
}

/// <summary>An sObject type as SOQL sees it.</summary>
internal interface ISoqlTable
{
    /// <summary>API name in describe casing.</summary>
    string Name { get; }

    /// <summary>The field called <paramref name="name"/> (ignoring case), or null.</summary>
    ISoqlColumn? FindField(string name);

    /// <summary>The reference field whose parent relationship is <paramref name="relationshipName"/> (ignoring case).</summary>
    ISoqlColumn? FindRelationship(string relationshipName);

    /// <summary>The records in creation order; deleted ones only when <paramref name="includeDeleted"/> (queryAll).</summary>
    IEnumerable<ISoqlRow> Rows(bool includeDeleted);
}

/// <summary>A field as SOQL sees it.</summary>
internal interface ISoqlColumn
{
    /// <summary>API name in describe casing.</summary>
    string Name { get; }

    SoqlValueKind Kind { get; }

    /// <summary>For a reference: its parent relationship's name (<c>Account</c> for <c>AccountId</c>), else null.</summary>
    string? RelationshipName { get; }

    /// <summary>For a reference: the objects it may point at (the first is used to check paths through it).</summary>
    IReadOnlyList<string> ReferenceTo { get; }
}

/// <summary>A record as SOQL sees it.</summary>
internal interface ISoqlRow
{
    ISoqlTable Table { get; }

    string Id { get; }

    /// <summary>The value of <paramref name="column"/> (a column of <see cref="Table"/>).</summary>
    object? Get(ISoqlColumn column);
}
