namespace Sluice.Postgres.Sources.Models;

/// <summary>How a model property is computed from its table's rows for one record (<c>aggregate:</c>).</summary>
internal enum ModelAggregate
{
    /// <summary>A column's value as it is: of the primary table's row, or of the secondary table's one row for the key.</summary>
    Exact,

    /// <summary>How many rows (with <c>column:</c>, how many with it not NULL); 0 when there are none.</summary>
    Count,

    /// <summary>The column's sum; NULL when there are no rows, as SQL's <c>sum</c> (and Grouparoo) give.</summary>
    Sum,

    /// <summary>The column's smallest value; NULL when there are no rows.</summary>
    Min,

    /// <summary>The column's largest value; NULL when there are no rows.</summary>
    Max,

    /// <summary>The column's mean; NULL when there are no rows.</summary>
    Avg,

    /// <summary>The column of the row with the greatest <c>order_by</c> (NULLs last; ties: the greatest table key).</summary>
    MostRecent,

    /// <summary>The column of the row with the smallest <c>order_by</c> (NULLs last; ties: the smallest table key).</summary>
    LeastRecent,
}
