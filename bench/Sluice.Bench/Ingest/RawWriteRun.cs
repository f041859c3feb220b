namespace Sluice.Bench.Ingest;

/// <summary>One binary COPY FROM STDIN of every generated event into an empty table of <see cref="Shape"/>, committed.</summary>
internal sealed record RawWriteRun(string Shape, int Run, long Rows, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;

    /// <summary>CPU of the PostgreSQL cluster (every process) during the COPY and its commit; null where it cannot be read.</summary>
    public double? PostgresCpuSeconds { get; init; }

    /// <summary>CPU of the bench process meanwhile: the COPY's client (Npgsql's importer), the other half of the raw write.</summary>
    public double ClientCpuSeconds { get; init; }

    public double? PostgresCpuMicrosecondsPerRow => PostgresCpuSeconds is { } s && Rows > 0 ? s * 1e6 / Rows : null;

    public double ClientCpuMicrosecondsPerRow => Rows > 0 ? ClientCpuSeconds * 1e6 / Rows : 0;
}
