namespace Sluice.Core.State;

/// <summary>Reads what the two sides of a two-way pair last agreed on (<see cref="PairedRecord.Agreed"/>), one query per call.</summary>
public interface IPairedRecordReader
{
    /// <summary>The agreed values of the linked records of <paramref name="pair"/> by link; a record never agreed on is left out.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>> ReadAsync(string pair, IReadOnlyCollection<string> links, CancellationToken ct);
}
