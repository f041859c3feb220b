using System.Globalization;
using System.Text.Json;

namespace Sluice.Bench.Salesforce;

/// <summary>
/// Reads every Account the emulator holds and compares it with the row it came from: exactly one Account per row,
/// each with the row's name, employees, MRR, renewal date and tier (after the incremental run, the changed rows' new
/// MRR). Every record is checked, not a sample: it costs the bench a few seconds after the measurement.
/// </summary>
internal static class AccountCheck
{
    /// <returns>The number of live Accounts, and what is wrong (the first few differences) or null when all is right.</returns>
    public static async Task<(int Held, string? Problem)> RunAsync(SalesforceEmulatorChild emulator, int rows, int changed, CancellationToken ct)
    {
        var seen = new bool[rows + 1];
        var held = 0;
        var wrong = 0;
        var examples = new List<string>();
        await foreach (var record in emulator.AccountsAsync(ct))
        {
            held++;
            var externalId = Text(record, "External_Id__c");
            var difference = AccountRows.Index(externalId) is { } i && i >= 1 && i <= rows
                ? seen[i] ? "a second Account with this external id" : Difference(record, i, changed > 0 && AccountRows.IsChanged(i, rows, changed))
                : "not one of the bench's rows";
            if (AccountRows.Index(externalId) is { } j && j >= 1 && j <= rows)
            {
                seen[j] = true;
            }

            if (difference is not null)
            {
                wrong++;
                if (examples.Count < 3)
                {
                    examples.Add($"{externalId ?? Text(record, "Id")}: {difference}");
                }
            }
        }

        var missing = seen.Skip(1).Count(s => !s);
        if (missing > 0 && examples.Count < 3)
        {
            examples.Add($"no Account for {AccountRows.ExternalId(Array.IndexOf(seen, false, 1))}");
        }

        return wrong == 0 && missing == 0 && held == rows
            ? (held, null)
            : (held, $"{held:N0} Accounts for {rows:N0} rows, {missing:N0} rows missing, {wrong:N0} Accounts wrong; e.g. {string.Join("; ", examples)}");
    }

    private static string? Difference(JsonElement record, int i, bool bumped)
    {
        var expected = new (string Field, string Value)[]
        {
            ("Name", AccountRows.Name(i)),
            ("NumberOfEmployees", AccountRows.Employees(i).ToString(CultureInfo.InvariantCulture)),
            ("MRR__c", AccountRows.Mrr(i, bumped).ToString("0.00", CultureInfo.InvariantCulture)),
            ("Renewal_Date__c", AccountRows.RenewalDate(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("Tier__c", AccountRows.Tier(i)),
        };
        foreach (var (field, value) in expected)
        {
            var actual = Text(record, field);
            var same = field == "MRR__c"
                ? decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == decimal.Parse(value, CultureInfo.InvariantCulture)
                : actual == value;
            if (!same)
            {
                return $"{field} is {actual ?? "null"}, expected {value}";
            }
        }

        return null;
    }

    private static string? Text(JsonElement record, string field) =>
        record.TryGetProperty(field, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        } : null;
}
