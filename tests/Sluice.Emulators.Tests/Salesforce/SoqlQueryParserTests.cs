using Sluice.Emulators.Salesforce.Soql;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class SoqlQueryParserTests
{
    [Fact]
    public void A_full_query_parses_into_its_parts()
    {
        var query = SoqlParser.Parse(
            "select Id, Account.Owner.Email FROM Contact WHERE (Email LIKE '%@x.com' OR Email = null) AND NOT LastName IN ('a', 'b') " +
            "ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10 OFFSET 5");

        Assert.Equal("Contact", query.From);
        Assert.Equal(["Id", "Account.Owner.Email"], query.Select.Cast<SoqlSelectItem.Field>().Select(f => f.Path.ToString()));
        var and = Assert.IsType<SoqlCondition.And>(query.Where);
        var or = Assert.IsType<SoqlCondition.Or>(and.Operands[0]);
        Assert.Equal(SoqlOperator.Like, Assert.IsType<SoqlCondition.Comparison>(or.Operands[0]).Operator);
        Assert.Equal(SoqlLiteralKind.Null, Assert.IsType<SoqlCondition.Comparison>(or.Operands[1]).Value.Kind);
        var not = Assert.IsType<SoqlCondition.Not>(and.Operands[1]);
        Assert.Equal(2, Assert.IsType<SoqlCondition.In>(not.Operand).Values.Count);
        Assert.Equal(new SoqlOrderItem(query.OrderBy[0].Field, Descending: true, NullsFirst: true), query.OrderBy[0]);
        Assert.False(query.OrderBy[1].Descending);
        Assert.True(query.OrderBy[1].NullsFirst);
        Assert.Equal(10, query.Limit);
        Assert.Equal(5, query.Offset);
    }

    [Theory]
    [InlineData("'it\\'s'", "it's")]
    [InlineData("'a\\\\b'", "a\\b")]
    [InlineData("'line\\nbreak'", "line\nbreak")]
    [InlineData("'50\\%'", "50\\%")]
    [InlineData("'say \\\"hi\\\"'", "say \"hi\"")]
    public void String_escapes_are_unescaped(string literal, string expected)
    {
        var query = SoqlParser.Parse($"SELECT Id FROM Account WHERE Name = {literal}");
        Assert.Equal(expected, Assert.IsType<SoqlCondition.Comparison>(query.Where).Value.Value);
    }

    [Theory]
    [InlineData("2024-02-29", "Date")]
    [InlineData("2024-02-29T10:11:12Z", "DateTime")]
    [InlineData("2024-02-29T10:11:12.000+0000", "DateTime")]
    [InlineData("2024-02-29T12:11:12+02:00", "DateTime")]
    [InlineData("-12.5", "Number")]
    [InlineData("TRUE", "Boolean")]
    [InlineData("LAST_N_DAYS:30", "DateRange")]
    [InlineData("today", "DateRange")]
    public void Literals_are_typed(string literal, string kind)
    {
        var query = SoqlParser.Parse($"SELECT Id FROM Account WHERE CreatedDate > {literal}");
        Assert.Equal(Enum.Parse<SoqlLiteralKind>(kind), Assert.IsType<SoqlCondition.Comparison>(query.Where).Value.Kind);
    }

    [Fact]
    public void Datetime_offsets_are_honoured()
    {
        var query = SoqlParser.Parse("SELECT Id FROM Account WHERE CreatedDate = 2024-02-29T12:11:12+02:00");
        var value = (DateTimeOffset)Assert.IsType<SoqlCondition.Comparison>(query.Where).Value.Value!;
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 10, 11, 12, TimeSpan.Zero), value.ToUniversalTime());
    }

    [Fact]
    public void Count_with_and_without_a_field()
    {
        Assert.True(SoqlParser.Parse("SELECT COUNT() FROM Account").IsCountOnly);
        var query = SoqlParser.Parse("SELECT COUNT(Id) total FROM Account");
        Assert.False(query.IsCountOnly);
        Assert.Equal("total", Assert.IsType<SoqlSelectItem.Count>(query.Select[0]).Alias);
    }

    [Theory]
    [InlineData("SELECT Id FROM Account WHERE", 29, "unexpected token: '<EOF>'")]
    [InlineData("SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3", 46, "unexpected token: 'OR'")]
    [InlineData("SELECT Id FROM Account WHERE A = 1 OR B = 2 AND C = 3", 45, "unexpected token: 'AND'")]
    [InlineData("SELECT Id, FROM Account", 12, "unexpected token: 'FROM'")]
    [InlineData("SELECT Id FROM Account LIMIT x", 30, "unexpected token: 'x'")]
    [InlineData("SELECT Id FROM Account WHERE Name = 'x' garbage", 41, "unexpected token: 'garbage'")]
    public void Syntax_errors_are_malformed_query_with_the_position(string soql, int column, string reason)
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse(soql));

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.Contains($"ERROR at Row:1:Column:{column}\n{reason}", error.Message, StringComparison.Ordinal);
        var lines = error.Message.Split('\n');
        Assert.Equal(soql, lines[1]);
        Assert.Equal(column - 1, lines[2].IndexOf('^', StringComparison.Ordinal));
    }

    [Fact]
    public void An_error_on_a_later_line_names_that_row()
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse("SELECT Id\nFROM Account\nWHERE Name = = 'x'"));
        Assert.Contains("ERROR at Row:3:Column:14", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("\nWHERE Name = = 'x'\n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unterminated_string_is_malformed()
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse("SELECT Id FROM Account WHERE Name = 'abc"));
        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
    }
}
