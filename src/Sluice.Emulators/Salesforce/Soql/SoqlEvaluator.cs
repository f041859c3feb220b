namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// Runs a parsed query over an org: checks the object and every field (<c>INVALID_TYPE</c>, <c>INVALID_FIELD</c>),
/// filters, sorts (stable, nulls first ascending and last descending unless told), skips and limits.
/// </summary>
internal static class SoqlEvaluator
{
    /// <summary>Salesforce refuses an OFFSET above 2,000 (<c>NUMBER_OUTSIDE_VALID_RANGE</c>).</summary>
    public const int MaxOffset = 2000;

    public static SoqlResult Execute(string soql, ISoqlOrg org, bool includeDeleted) =>
        Execute(SoqlParser.Parse(soql), org, includeDeleted);

    public static SoqlResult Execute(SoqlQuery query, ISoqlOrg org, bool includeDeleted)
    {
        var soql = query.Text;
        var table = org.FindTable(query.From)
            ?? throw SoqlException.At("INVALID_TYPE", soql, query.FromPosition,
                $"sObject type '{query.From}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.");

        if (query.Offset is > MaxOffset)
        {
            throw new SoqlException("NUMBER_OUTSIDE_VALID_RANGE", $"Maximum SOQL offset allowed is {MaxOffset}");
        }

        var predicate = query.Where is null ? null : new SoqlPredicateCompiler(table, org, soql).Compile(query.Where);
        IEnumerable<ISoqlRow> rows = table.Rows(includeDeleted);
        if (predicate is not null)
        {
            rows = rows.Where(predicate);
        }

        if (query.IsAggregate)
        {
            return Aggregate(query, table, org, rows);
        }

        var paths = new List<SoqlBoundPath>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in query.Select.Cast<SoqlSelectItem.Field>())
        {
            var path = SoqlBoundPath.Bind(item.Path, table, org, soql);
            if (!seen.Add(path.Name))
            {
                throw SoqlException.At("MALFORMED_QUERY", soql, item.Path.Position, $"duplicate field selected: {path.Name}");
            }

            paths.Add(path);
        }

        if (query.OrderBy.Count > 0)
        {
            var keys = query.OrderBy.Select(o => (Path: SoqlBoundPath.Bind(o.Field, table, org, soql), Order: o)).ToArray();
            var comparer = Comparer<ISoqlRow>.Create((a, b) =>
            {
                foreach (var (path, order) in keys)
                {
                    var x = path.Read(a, org);
                    var y = path.Read(b, org);
                    int result;
                    if (x is null || y is null)
                    {
                        result = x is null && y is null ? 0 : (x is null) == order.NullsFirst ? -1 : 1;
                    }
                    else
                    {
                        result = SoqlValues.Compare(x, y);
                        if (order.Descending)
                        {
                            result = -result;
                        }
                    }

                    if (result != 0)
                    {
                        return result;
                    }
                }

                return 0;
            });
            rows = rows.Order(comparer);
        }

        if (query.Offset is { } offset)
        {
            rows = rows.Skip(offset);
        }

        if (query.Limit is { } limit)
        {
            rows = rows.Take(limit);
        }

        var list = rows.ToList();
        return new SoqlResult(query, SoqlProjection.Build(paths), list, list.Count, null) { Columns = paths };
    }

    private static SoqlResult Aggregate(SoqlQuery query, ISoqlTable table, ISoqlOrg org, IEnumerable<ISoqlRow> rows)
    {
        var soql = query.Text;
        if (query.Select.FirstOrDefault(i => i is SoqlSelectItem.Field) is SoqlSelectItem.Field field)
        {
            throw SoqlException.At("MALFORMED_QUERY", soql, field.Path.Position, $"Field must be grouped or aggregated: {field.Path}");
        }

        if (query.OrderBy.Count > 0)
        {
            throw SoqlException.At("MALFORMED_QUERY", soql, query.OrderBy[0].Field.Position, $"Ordered field must be grouped or aggregated: {query.OrderBy[0].Field}");
        }

        var counts = query.Select.Cast<SoqlSelectItem.Count>().Select(c => (Item: c, Path: c.Path is null ? null : SoqlBoundPath.Bind(c.Path, table, org, soql))).ToList();
        if (query.IsCountOnly)
        {
            var count = rows.Count();
            if (query.Limit is { } limit)
            {
                count = Math.Min(count, limit);
            }

            return new SoqlResult(query, null, [], count, null);
        }

        if (counts.Any(c => c.Path is null))
        {
            throw new SoqlException("MALFORMED_QUERY", "COUNT() must be the only element in the SELECT list.");
        }

        var materialized = rows.ToList();
        var values = new List<KeyValuePair<string, long>>();
        var expression = 0;
        foreach (var (item, path) in counts)
        {
            var name = item.Alias ?? $"expr{expression++}";
            values.Add(new(name, materialized.LongCount(r => path!.Read(r, org) is not null)));
        }

        return new SoqlResult(query, null, [], 1, values);
    }
}
