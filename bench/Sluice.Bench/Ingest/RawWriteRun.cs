namespace Sluice.Bench.Ingest;

/// <summary>One binary COPY FROM STDIN of every generated event into an empty table of <see cref="Shape"/>, committed.</summary>
internal sealed record RawWriteRun(string Shape, int Run, long Rows, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
}
