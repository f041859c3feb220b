namespace Sluice.Bench.Harness;

/// <summary>One COPY TO STDOUT, read to the end. <see cref="Bytes"/> counts characters for the text format.</summary>
internal sealed record RawCopyRun(string Format, int Run, long Rows, long Bytes, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
}
