namespace Sluice.Dev.Embedded;

/// <summary>Where a local cluster's data directory is to be, and whether that is not where it was asked for.</summary>
/// <param name="DataDirectory">The full path to start the cluster in.</param>
/// <param name="Relocated">
/// <c>true</c> when the server's OS user cannot reach the preferred directory, so the cluster lives under a
/// fallback root instead (or already did).
/// </param>
public sealed record DataDirectoryChoice(string DataDirectory, bool Relocated);
