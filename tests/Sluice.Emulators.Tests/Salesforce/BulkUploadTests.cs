using System.Text;
using Sluice.Emulators.Salesforce.Bulk;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// An ingest upload parsed while it arrives: however the body is cut into reads, the records, the header and the error
/// are those of the whole body read at once by the CSV reader.
/// </summary>
public sealed class BulkUploadTests
{
    public static TheoryData<string, char, bool> Bodies => new()
    {
        { "Id,External_Id__c,Name,Phone\n,a1,Acme,555\n,a2,\"New, name\",\n,a3,#N/A,1\n", ',', false },
        // Quoted line breaks and delimiters, escaped quotes, a quote in the middle of a field (a plain character there).
        { "A,B\n\"line one\nline two\",\"say \"\"hi\"\"\"\n5\" screen,\"x,\ny\"\n\"\",\"\"\"\"\n", ',', false },
        { "A|B\r\n1|\"two\r\nlines\"\r\n3|4\r\n", '|', true },
        // No line break after the last record; multi-byte characters; a byte order mark.
        { "\uFEFFName,Note\nZoë,日本\nÅsa,\"ü\n\"", ',', false },
        // Malformed: CRLF in an LF job, a bare LF in a CRLF job, an unterminated quote.
        { "A,B\n1,2\r\n3,4\n", ',', false },
        { "A,B\r\n1,2\n", ',', true },
        { "A,B\n1,\"2\n3,4\n", ',', false },
        // Empty, and a header only.
        { "", ',', false },
        { "A,B\n", ',', false },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Any_cut_of_the_body_parses_as_the_whole_does(string csv, char delimiter, bool crlf)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var (header, rows, error) = ReadWhole(bytes, delimiter, crlf);
        for (var piece = 1; piece <= Math.Max(1, bytes.Length); piece++)
        {
            var upload = new BulkUpload(delimiter, crlf);
            for (var at = 0; at < bytes.Length; at += piece)
            {
                upload.Append(bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)));
            }

            upload.End();
            Assert.Equal(header, upload.Header);
            Assert.Equal(error, upload.Error);
            Assert.Equal(bytes.Length, upload.Bytes);
            Assert.Equal(rows, upload.Rows);
        }
    }

    /// <summary>The body read whole, as the emulator read an upload before: the header, the records up to an error, the error.</summary>
    private static (string[]? Header, List<string[]> Rows, string? Error) ReadWhole(byte[] csv, char delimiter, bool crlf)
    {
        var reader = new BulkCsvReader(new StreamReader(new MemoryStream(csv), Encoding.UTF8), delimiter, crlf);
        string[]? header = null;
        var rows = new List<string[]>();
        try
        {
            header = reader.Read();
            while (header is not null && reader.Read() is { } row)
            {
                rows.Add(row);
            }
        }
        catch (BulkCsvException e)
        {
            return (header, rows, e.Message);
        }

        return (header, rows, null);
    }
}
