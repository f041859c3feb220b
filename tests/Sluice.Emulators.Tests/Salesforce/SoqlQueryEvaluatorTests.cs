using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Sluice.Emulators.Salesforce.Soql;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class SoqlQueryEvaluatorTests
{
    private readonly SoqlQueryTestOrg _org = new();

    public SoqlQueryEvaluatorTests()
    {
        _org.Insert("User", "005000000000001AAA", ("Email", "ada@example.com"));
        _org.Insert("Account", "001000000000001AAA", ("Name", "Acme"), ("External_Id__c", "a-1"), ("NumberOfEmployees", 50m), ("IsActive__c", true),
            ("Renewal__c", new DateOnly(2026, 3, 18)), ("CreatedDate", new DateTimeOffset(2026, 3, 10, 8, 0, 0, TimeSpan.Zero)), ("OwnerId", "005000000000001AAA"));
        _org.Insert("Account", "001000000000002AAA", ("Name", "globex"), ("External_Id__c", "a-2"), ("NumberOfEmployees", 5m), ("IsActive__c", false),
            ("Renewal__c", new DateOnly(2026, 4, 1)), ("CreatedDate", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        _org.Insert("Account", "001000000000003AAA", ("Name", "Initech"), ("External_Id__c", null), ("NumberOfEmployees", null), ("IsActive__c", true));
        _org.Insert("Account", "001000000000004AAA", ("Name", "Gone"), ("IsDeleted", true), ("IsActive__c", false));
        _org.Insert("Contact", "003000000000001AAA", ("LastName", "Smith"), ("Email", "s@acme.com"), ("AccountId", "001000000000001AAA"));
        _org.Insert("Contact", "003000000000002AAA", ("LastName", "Jones"), ("Email", null), ("AccountId", null));
    }

    [Theory]
    [InlineData("Name = 'ACME'", "Acme")]
    [InlineData("Name != 'acme'", "globex,Initech")]
    [InlineData("NumberOfEmployees > 5", "Acme")]
    [InlineData("NumberOfEmployees >= 5", "Acme,globex")]
    [InlineData("NumberOfEmployees < 50.0", "globex")]
    [InlineData("NumberOfEmployees = null", "Initech")]
    [InlineData("NumberOfEmployees != null", "Acme,globex")]
    [InlineData("External_Id__c IN ('A-1', 'a-2')", "Acme,globex")]
    [InlineData("External_Id__c NOT IN ('a-1')", "globex,Initech")]
    [InlineData("Name LIKE 'g%'", "globex")]
    [InlineData("Name LIKE '_nit%'", "Initech")]
    [InlineData("IsActive__c = true AND NOT Name = 'Acme'", "Initech")]
    [InlineData("(IsActive__c = false OR NumberOfEmployees > 10) AND Name != null", "Acme,globex")]
    [InlineData("Renewal__c = TODAY", "Acme")]
    [InlineData("Renewal__c > 2026-03-18", "globex")]
    [InlineData("CreatedDate = LAST_N_DAYS:30", "Acme")]
    [InlineData("CreatedDate < LAST_YEAR", "")]
    [InlineData("CreatedDate = LAST_YEAR", "globex")]
    [InlineData("CreatedDate > 2026-03-01T00:00:00Z", "Acme")]
    [InlineData("Owner.Email = 'ada@example.com'", "Acme")]
    [InlineData("Id = '001000000000002'", "globex")]
    [InlineData("Id = '001000000000002aaa'", "globex")]
    public void Where_selects_the_right_accounts(string where, string expected)
    {
        var result = SoqlEvaluator.Execute($"SELECT Name FROM Account WHERE {where}", _org, includeDeleted: false);
        Assert.Equal(expected, string.Join(',', result.Rows.Select(r => r.Get(r.Table.FindField("Name")!))));
    }

    [Fact]
    public void Query_all_includes_deleted_records()
    {
        Assert.Equal(3, SoqlEvaluator.Execute("SELECT Id FROM Account", _org, false).TotalSize);
        var all = SoqlEvaluator.Execute("SELECT Id FROM Account WHERE IsDeleted = true", _org, true);
        Assert.Equal("001000000000004AAA", Assert.Single(all.Rows).Id);
    }

    [Fact]
    public void Order_by_sorts_with_nulls_first_ascending_and_last_descending()
    {
        string Names(string order) => string.Join(',', SoqlEvaluator.Execute($"SELECT Name FROM Account ORDER BY {order}", _org, false)
            .Rows.Select(r => r.Get(r.Table.FindField("Name")!)));

        Assert.Equal("Initech,globex,Acme", Names("NumberOfEmployees"));
        Assert.Equal("Acme,globex,Initech", Names("NumberOfEmployees DESC"));
        Assert.Equal("globex,Acme,Initech", Names("NumberOfEmployees NULLS LAST"));
        Assert.Equal("Acme,globex,Initech", Names("Name"));
        Assert.Equal("Acme,Initech,globex", Names("IsActive__c DESC, Name"));
    }

    [Fact]
    public void Limit_and_offset_page_the_sorted_rows()
    {
        var result = SoqlEvaluator.Execute("SELECT Name FROM Account ORDER BY Name LIMIT 1 OFFSET 1", _org, false);
        Assert.Equal("001000000000002AAA", Assert.Single(result.Rows).Id);
    }

    [Fact]
    public void Records_carry_attributes_describe_casing_and_nested_parents()
    {
        var result = SoqlEvaluator.Execute("SELECT lastname, account.name, ACCOUNT.owner.email, Email FROM Contact ORDER BY LastName", _org, false);
        var records = Render(result);

        Assert.Equal(
            """{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003000000000002AAA"},"LastName":"Jones","Account":null,"Email":null}""",
            records[0]!.ToJsonString());
        Assert.Equal(
            """{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003000000000001AAA"},"LastName":"Smith","Account":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},"Name":"Acme","Owner":{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/005000000000001AAA"},"Email":"ada@example.com"}},"Email":"s@acme.com"}""",
            records[1]!.ToJsonString());
    }

    [Fact]
    public void Dates_and_datetimes_are_written_as_salesforce_writes_them()
    {
        var records = Render(SoqlEvaluator.Execute("SELECT Renewal__c, CreatedDate FROM Account WHERE Name = 'Acme'", _org, false));
        Assert.Equal("2026-03-18", records[0]!["Renewal__c"]!.GetValue<string>());
        Assert.Equal("2026-03-10T08:00:00.000+0000", records[0]!["CreatedDate"]!.GetValue<string>());
    }

    [Fact]
    public void Count_answers_a_total_and_count_of_a_field_an_aggregate()
    {
        var count = SoqlEvaluator.Execute("SELECT COUNT() FROM Account WHERE IsActive__c = true", _org, false);
        Assert.Equal(2, count.TotalSize);
        Assert.Empty(count.Rows);

        var aggregate = SoqlEvaluator.Execute("SELECT COUNT(External_Id__c) FROM Account", _org, false);
        Assert.Equal([new KeyValuePair<string, long>("expr0", 2)], aggregate.Aggregate);
    }

    [Theory]
    [InlineData("SELECT Nme FROM Account", "INVALID_FIELD", "No such column 'Nme' on entity 'Account'")]
    [InlineData("SELECT Acount.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Acount' in field path")]
    [InlineData("SELECT Account.Nme FROM Contact", "INVALID_FIELD", "No such column 'Nme' on entity 'Account'")]
    [InlineData("SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported")]
    [InlineData("SELECT Id FROM Account WHERE Nope = 1", "INVALID_FIELD", "No such column 'Nope'")]
    [InlineData("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "INVALID_FIELD", "must be of type double and should not be enclosed in quotes")]
    [InlineData("SELECT Id FROM Account WHERE CreatedDate = '2024-01-01'", "INVALID_FIELD", "must be of type dateTime")]
    [InlineData("SELECT Id, id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id")]
    [InlineData("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000")]
    public void Mistakes_are_answered_with_salesforces_error_codes(string soql, string code, string message)
    {
        var error = Assert.Throws<SoqlException>(() => SoqlEvaluator.Execute(soql, _org, false));
        Assert.Equal(code, error.ErrorCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_where_selects_what_the_same_csharp_predicate_selects()
    {
        var org = new SoqlQueryTestOrg();
        var names = new[] { "alpha", "Beta", "gamma", null };
        for (var i = 0; i < 40; i++)
        {
            org.Insert("Account", $"0010000000{i:D5}AAA", ("Name", names[i % 4]), ("NumberOfEmployees", i % 7 == 0 ? null : (decimal?)(i % 11)), ("IsActive__c", i % 3 == 0));
        }

        var accounts = org.FindTable("Account")!.Rows(false).ToList();
        GenCondition(3).Sample(condition =>
        {
            var expected = accounts.Where(condition.Predicate).Select(r => r.Id).ToList();
            var actual = SoqlEvaluator.Execute($"SELECT Id FROM Account WHERE {condition.Soql}", org, false).Rows.Select(r => r.Id).ToList();
            Assert.True(expected.SequenceEqual(actual), $"WHERE {condition.Soql}: expected {expected.Count} rows, got {actual.Count}");
        }, iter: 300);
    }

    private JsonArray Render(SoqlResult result)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var row in result.Rows)
            {
                result.Projection!.Write(writer, row, _org, "62.0");
            }

            writer.WriteEndArray();
        }

        return JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray()))!.AsArray();
    }

    private sealed record GeneratedCondition(string Soql, Func<ISoqlRow, bool> Predicate);

    private static object? Field(ISoqlRow row, string name) => row.Get(row.Table.FindField(name)!);

    private static Gen<GeneratedCondition> GenLeaf() => Gen.OneOf(
        Gen.Int[0, 12].Select(Gen.Int[0, 5]).Select(t =>
        {
            var (n, op) = t;
            string[] ops = ["=", "!=", "<", "<=", ">", ">="];
            Func<decimal, bool> test = op switch
            {
                0 => v => v == n,
                1 => v => v != n,
                2 => v => v < n,
                3 => v => v <= n,
                4 => v => v > n,
                _ => v => v >= n,
            };
            return new GeneratedCondition($"NumberOfEmployees {ops[op]} {n}", r => Field(r, "NumberOfEmployees") is decimal d ? test(d) : op == 1);
        }),
        Gen.OneOf("alpha", "BETA", "Gamma", "delta").Select(Gen.Bool).Select(t =>
            new GeneratedCondition($"Name {(t.Item2 ? "!=" : "=")} '{t.Item1}'",
                r => string.Equals(Field(r, "Name") as string, t.Item1, StringComparison.OrdinalIgnoreCase) != t.Item2)),
        Gen.Bool.Select(b => new GeneratedCondition($"IsActive__c = {(b ? "TRUE" : "false")}", r => Field(r, "IsActive__c") is bool v && v == b)),
        Gen.Bool.Select(b => new GeneratedCondition($"Name {(b ? "=" : "!=")} null", r => (Field(r, "Name") is null) == b)),
        Gen.OneOf("a%", "%a", "_e%", "%MM%").Select(p => new GeneratedCondition($"Name LIKE '{p}'", r => Field(r, "Name") is string s && Like(s, p))),
        Gen.Int[0, 10].Array[1, 4].Select(Gen.Bool).Select(t => new GeneratedCondition(
            $"NumberOfEmployees {(t.Item2 ? "NOT IN" : "IN")} ({string.Join(", ", t.Item1)})",
            r => (Field(r, "NumberOfEmployees") is decimal d && t.Item1.Contains((int)d)) != t.Item2)));

    private static Gen<GeneratedCondition> GenCondition(int depth) => depth == 0 ? GenLeaf() : Gen.Frequency(
        (3, GenLeaf()),
        (1, GenCondition(depth - 1).Select(c => new GeneratedCondition($"NOT {Wrap(c)}", r => !c.Predicate(r)))),
        (1, GenCondition(depth - 1).Array[2, 3].Select(cs => new GeneratedCondition(string.Join(" AND ", cs.Select(Wrap)), r => cs.All(c => c.Predicate(r))))),
        (1, GenCondition(depth - 1).Array[2, 3].Select(cs => new GeneratedCondition(string.Join(" OR ", cs.Select(Wrap)), r => cs.Any(c => c.Predicate(r))))));

    private static string Wrap(GeneratedCondition condition) => $"({condition.Soql})";

    private static bool Like(string value, string pattern) => pattern switch
    {
        "a%" => value.StartsWith('a') || value.StartsWith('A'),
        "%a" => value.EndsWith('a') || value.EndsWith('A'),
        "_e%" => value.Length >= 2 && (value[1] == 'e' || value[1] == 'E'),
        _ => value.Contains("mm", StringComparison.OrdinalIgnoreCase),
    };
}
