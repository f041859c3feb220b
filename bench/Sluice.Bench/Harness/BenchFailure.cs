namespace Sluice.Bench.Harness;

/// <summary>The benchmark could not measure what it set out to (a child failed, a count is wrong).</summary>
internal sealed class BenchFailure(string message) : Exception(message);
