using System.Text;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// Streams the records of a Bulk CSV upload (RFC 4180: quoted fields with <c>""</c> for a quote, line breaks inside
/// quotes) with the job's column delimiter, and holds each record's terminator to the job's <c>lineEnding</c>:
/// a job declared <c>LF</c> refuses CRLF data and the reverse, as Salesforce fails the job
/// (<c>ClientInputError : LineEnding is invalid on user data</c>).
/// </summary>
internal sealed class BulkCsvReader
{
    private readonly TextReader _reader;
    private readonly char _delimiter;
    private readonly bool _crlf;
    private readonly StringBuilder _field = new();

    public BulkCsvReader(TextReader reader, char delimiter, bool crlf)
    {
        _reader = reader;
        _delimiter = delimiter;
        _crlf = crlf;
    }

    /// <summary>The next record's fields, or null at the end. Throws <see cref="BulkCsvException"/> for bad data.</summary>
    public string[]? Read()
    {
        if (_reader.Peek() < 0)
        {
            return null;
        }

        var fields = new List<string>();
        var quoted = false;
        var wasQuoted = false;
        _field.Clear();
        while (true)
        {
            var next = _reader.Read();
            if (next < 0)
            {
                if (quoted)
                {
                    throw new BulkCsvException("ClientInputError : Unterminated quoted field at the end of the data");
                }

                fields.Add(_field.ToString());
                return fields.Count == 1 && fields[0].Length == 0 && !wasQuoted ? null : [.. fields];
            }

            var c = (char)next;
            if (quoted)
            {
                if (c == '"')
                {
                    if (_reader.Peek() == '"')
                    {
                        _reader.Read();
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    _field.Append(c);
                }

                continue;
            }

            if (c == '"' && _field.Length == 0)
            {
                quoted = true;
                wasQuoted = true;
            }
            else if (c == _delimiter)
            {
                fields.Add(_field.ToString());
                _field.Clear();
                wasQuoted = false;
            }
            else if (c == '\r')
            {
                if (_reader.Peek() != '\n' || !_crlf)
                {
                    throw new BulkCsvException("ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is " + (_crlf ? "CRLF" : "LF"));
                }

                _reader.Read();
                fields.Add(_field.ToString());
                return [.. fields];
            }
            else if (c == '\n')
            {
                if (_crlf)
                {
                    throw new BulkCsvException("ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF");
                }

                fields.Add(_field.ToString());
                return [.. fields];
            }
            else
            {
                _field.Append(c);
            }
        }
    }
}
