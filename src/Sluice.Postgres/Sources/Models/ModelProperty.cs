using Sluice.Core.Configuration;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// One property of a model (<c>properties: {name: {…}}</c>): a column of the primary table, or a column or an aggregate
/// of the rows of a secondary table (<c>from:</c>) whose <c>foreign_key</c> holds the record's key, optionally only of
/// the rows meeting <c>where:</c>.
/// </summary>
internal sealed record ModelProperty(string Name, ModelAggregate Aggregate)
{
    /// <summary>The secondary table (<c>schema.table</c>); <c>null</c>: the primary table.</summary>
    public string? From { get; init; }

    /// <summary>The secondary table's column that holds the primary key.</summary>
    public string? ForeignKey { get; init; }

    /// <summary>The column read or aggregated; <c>null</c> for <c>count</c> of rows.</summary>
    public string? Column { get; init; }

    /// <summary>A SQL condition over the secondary table's columns, e.g. <c>status = 'paid'</c>.</summary>
    public string? Where { get; init; }

    /// <summary>For <c>most_recent</c> and <c>least_recent</c>: the column that orders the rows.</summary>
    public string? OrderBy { get; init; }

    /// <summary>The property's YAML section, for errors that point at a line.</summary>
    public ConfigSection? Config { get; init; }

    /// <summary>Whether the property comes from a secondary table.</summary>
    public bool IsSecondary => From is not null;
}
