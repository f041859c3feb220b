using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Engine.Processing.Validation;
using Sluice.Core.Records;

namespace Sluice.Core.Tests.Engine.Processing;

/// <summary>The validate: processor's decisions against a reference set held in memory (the PostgreSQL lookup is tested end to end).</summary>
public sealed class ValidationProcessorTests
{
    [Fact]
    public async Task A_value_remembered_when_the_batch_began_still_passes_when_a_full_cache_is_emptied_during_it()
    {
        var lookup = new SetLookup("u1", "u2", "u3");
        var rule = new ValidationRule("user", "userId", ReferenceColumn.Parse("app.public.users.id", new ConfigLocation("sluice.yaml", 1, 1, "x")), [], AllowMissing: false);
        var processor = new ValidationProcessor(new ValidationOptions { Rules = [rule], CacheSize = 1 }, [lookup], TimeProvider.System);

        await processor.ProcessAsync(Batch("u1", "u2"), default); // remembers u2 (u1 was pushed out: the cache holds one)
        var decisions = await processor.ProcessAsync(Batch("u2", "u3", "u9"), default); // u3 found now empties it again

        Assert.Equal([ProcessorDecisionKind.Pass, ProcessorDecisionKind.Pass, ProcessorDecisionKind.Quarantine], decisions.Select(d => d.Kind));
        Assert.Equal(["u3", "u9"], lookup.Asked[^1].Order());
    }

    private static ProcessorBatch Batch(params string[] userIds) =>
        new("s", userIds.Select(id => new EncodedRecord(
            new Change(id, ChangeOperation.Upsert, [], new Position()), id, Encoding.UTF8.GetBytes($$"""{"type":"track","event":"E","userId":"{{id}}"}"""))).ToList());

    private sealed class SetLookup(params string[] present) : IRecordLookup
    {
        public List<IReadOnlyCollection<string>> Asked { get; } = [];

        public string Name => "users";

        public Task<IReadOnlyDictionary<string, IReadOnlyList<object?>>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
        {
            Asked.Add([.. keys]);
            return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<object?>>>(
                keys.Where(present.Contains).ToDictionary(k => k, _ => (IReadOnlyList<object?>)[]));
        }
    }

    private sealed class Position : SourcePosition
    {
        public override Checkpoints.Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
