using System.Globalization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>A source position that is just the offset of a change in its list.</summary>
public sealed class TestPosition(int offset) : SourcePosition
{
    public const string Format = "test-offset";

    public int Offset { get; } = offset;

    public static Checkpoint CheckpointAt(int offset) => new(Format, 1, offset.ToString(CultureInfo.InvariantCulture));

    public static int OffsetOf(Checkpoint checkpoint) => int.Parse(checkpoint.Value, CultureInfo.InvariantCulture);

    public override Checkpoint ToCheckpoint() => CheckpointAt(Offset);
}
