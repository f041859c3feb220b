using System.Text;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// One CSV upload of an ingest job, parsed while it arrives: every whole record as soon as its line ends, so a client
/// that streams its upload (Sluice writes the CSV as it reads its source) has it parsed by the time it closes the job,
/// and processing starts with the saves. Nothing is saved or checked against the org here: a malformed upload still
/// fails the job only when the job is processed (<see cref="Error"/>), as before, and an aborted job's upload is dropped.
/// </summary>
internal sealed class BulkUpload
{
    private static readonly Encoding Utf8WithoutMark = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    private readonly char _delimiter;
    private readonly bool _crlf;
    private byte[] _pending = new byte[64 * 1024];
    private int _length;
    private int _scanned;
    private bool _ended;
    // The scan's place in the CSV grammar, the same as BulkCsvReader's: a quote opens quoting only at a field's start.
    private bool _quoted;
    private bool _quoteInQuoted;
    private bool _fieldStart = true;

    public BulkUpload(char delimiter, bool crlf)
    {
        _delimiter = delimiter;
        _crlf = crlf;
    }

    /// <summary>The header row; null until it arrived, or when the upload held none.</summary>
    public string[]? Header { get; private set; }

    /// <summary>The records after the header, in order (up to the first malformed one).</summary>
    public List<string[]> Rows { get; } = [];

    /// <summary>Why the data is malformed (the job fails with it when processed); null when it is not.</summary>
    public string? Error { get; private set; }

    /// <summary>The upload's size in bytes so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>The whole of <paramref name="csv"/> as one upload.</summary>
    public static BulkUpload Parse(byte[] csv, char delimiter, bool crlf)
    {
        var upload = new BulkUpload(delimiter, crlf);
        upload.Append(csv);
        upload.End();
        return upload;
    }

    /// <summary>Takes the next bytes of the body and parses every record they complete.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Bytes += data.Length;
        if (_length + data.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _length + data.Length));
        }

        data.CopyTo(_pending.AsSpan(_length));
        _length += data.Length;
        // A UTF-16 or UTF-32 body (told by its byte order mark, which the reader honours) is parsed whole, at its end.
        var end = _pending[0] is 0xFE or 0xFF or 0x00 ? 0 : LastRecordEnd();
        if (end > 0)
        {
            ParseRecords(_pending.AsSpan(0, end));
            _pending.AsSpan(end, _length - end).CopyTo(_pending);
            _length -= end;
            _scanned -= end;
        }
    }

    /// <summary>The body ended: parses what is left (a last record without a line break, or data the reader refuses).</summary>
    public void End()
    {
        ParseRecords(_pending.AsSpan(0, _length));
        _length = 0;
        _scanned = 0;
        _ended = true;
    }

    /// <summary>
    /// Scans the bytes not scanned yet and returns the length up to the last line break that ends a record (0 when none
    /// does). UTF-8 never uses the bytes of a quote, a delimiter or a line break inside another character, so bytes suffice.
    /// </summary>
    private int LastRecordEnd()
    {
        var end = 0;
        var delimiter = (byte)_delimiter;
        for (var i = _scanned; i < _length; i++)
        {
            var b = _pending[i];
            if (_quoteInQuoted)
            {
                // A quote inside quotes is an escaped quote when another follows, else the field's closing quote.
                _quoteInQuoted = false;
                if (b == '"')
                {
                    continue;
                }

                _quoted = false;
                _fieldStart = false;
            }

            if (_quoted)
            {
                _quoteInQuoted = b == '"';
                continue;
            }

            if (b == '"' && _fieldStart)
            {
                _quoted = true;
            }
            else if (b == delimiter)
            {
                _fieldStart = true;
            }
            else if (b == '\n')
            {
                _fieldStart = true;
                end = i + 1;
            }
            else
            {
                _fieldStart = false;
            }
        }

        _scanned = _length;
        return end;
    }

    private void ParseRecords(ReadOnlySpan<byte> records)
    {
        if (Error is not null || _ended)
        {
            return;
        }

        // Only the body's first bytes may carry a byte order mark (StreamReader drops one with Encoding.UTF8).
        var stream = new MemoryStream(records.ToArray());
        var reader = new BulkCsvReader(Header is null ? new StreamReader(stream, Encoding.UTF8) : new StreamReader(stream, Utf8WithoutMark, detectEncodingFromByteOrderMarks: false), _delimiter, _crlf);
        try
        {
            if (Header is null)
            {
                Header = reader.Read();
                if (Header is null)
                {
                    return;
                }
            }

            while (reader.Read() is { } row)
            {
                Rows.Add(row);
            }
        }
        catch (BulkCsvException e)
        {
            Error = e.Message;
        }
    }
}
