using System.Text;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>Writes result CSVs: every field in double quotes (Salesforce's results are), quotes doubled, a null left empty.</summary>
internal static class BulkCsvWriter
{
    public static void AppendRow(StringBuilder csv, IEnumerable<string?> fields, char delimiter, string lineEnding)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                csv.Append(delimiter);
            }

            first = false;
            if (field is null)
            {
                continue;
            }

            csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }

        csv.Append(lineEnding);
    }
}
