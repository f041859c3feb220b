namespace Sluice.Segment.Protocol;

/// <summary>One string of a request body that is not Unicode text (see <see cref="JsonTextValidator"/>).</summary>
/// <param name="Path">Where it is, e.g. <c>batch[3].properties.note</c>; <c>$</c> for a key of the root object.</param>
/// <param name="ItemIndex">
/// The item it is in: its index in the root's item array (<c>batch</c>, <c>events</c>), 0 when the body is a single
/// item, null for a root field beside the item array.
/// </param>
/// <param name="Message">What is wrong, e.g. <c>is not valid UTF-8</c>.</param>
public sealed record JsonTextProblem(string Path, int? ItemIndex, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
