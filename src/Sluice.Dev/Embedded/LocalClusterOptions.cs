namespace Sluice.Dev.Embedded;

/// <summary>Where and how to run a local PostgreSQL cluster (the demo's, the tests', the benchmarks').</summary>
public sealed class LocalClusterOptions
{
    /// <summary>The cluster's data directory; created with <c>initdb</c> when it does not exist yet.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1. 0 (the default) picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>PostgreSQL's binaries; by default what <c>pg_config --bindir</c> names.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// <c>false</c> turns off fsync and synchronous commit: right for throwaway test clusters,
    /// never for data a user keeps. Default <c>true</c>.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>Extra <c>postgresql.conf</c> settings, written on every start.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
