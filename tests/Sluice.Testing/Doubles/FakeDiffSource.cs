using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A diffing source over rows held in memory (key → email, the schema of <see cref="FakeSource"/>): it merges
/// them with the stored fingerprints in <see cref="RecordKeyOrder"/>, as a real diffing source does, and yields
/// only added, changed and deleted records. A record's fingerprint is its email's bytes.
/// </summary>
public sealed class FakeDiffSource : ISource
{
    private readonly SortedDictionary<string, string> _rows = new(RecordKeyOrder.Instance);

    public FakeDiffSource(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            Set(i, $"user{i}@example.com");
        }
    }

    public string Description => "fake query";

    public ChangeKinds Detects => ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted;

    public void Set(int id, string email) => _rows[id.ToString(CultureInfo.InvariantCulture)] = email;

    public void Remove(int id) => _rows.Remove(id.ToString(CultureInfo.InvariantCulture));

    public static byte[] Fingerprint(string email) => Encoding.UTF8.GetBytes(email);

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(FakeSource.Schema);

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var stored = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (request.RecordStates is { } states)
        {
            await foreach (var state in states.ReadAsync(ct))
            {
                stored[state.Key] = state.Fingerprint!;
            }
        }

        var offset = 0;
        foreach (var key in _rows.Keys.Union(stored.Keys).Order(RecordKeyOrder.Instance).ToList())
        {
            var position = new TestPosition(offset++);
            if (!_rows.TryGetValue(key, out var email))
            {
                yield return new Change(key, ChangeOperation.Delete, new object?[request.Columns.Count], position) { Kind = ChangeKinds.Deleted };
                continue;
            }

            var fingerprint = Fingerprint(email);
            var known = stored.TryGetValue(key, out var previous);
            if (known && request.From is not null && previous!.AsSpan().SequenceEqual(fingerprint))
            {
                continue;
            }

            var values = request.Columns.Select(column => column switch
            {
                "id" => (object?)long.Parse(key, CultureInfo.InvariantCulture),
                "email" => email,
                "name" => $"User {key}",
                _ => throw new InvalidOperationException($"no column '{column}'"),
            }).ToArray();
            yield return new Change(key, ChangeOperation.Upsert, values, position)
            {
                Kind = known && request.From is not null ? ChangeKinds.Changed : ChangeKinds.Added,
                Fingerprint = fingerprint,
            };
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
