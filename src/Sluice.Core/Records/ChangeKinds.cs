namespace Sluice.Core.Records;

/// <summary>
/// What happened to a record, as a source that diffs tells it (<c>on: [added, changed, deleted]</c>):
/// one value on a <see cref="Change"/>, a set of them in a sync's mode.
/// </summary>
[Flags]
public enum ChangeKinds
{
    /// <summary>On a change: the source cannot tell (a cursor sees new and updated rows alike); the change is always sent.</summary>
    None = 0,

    /// <summary>A key the sync has not seen before.</summary>
    Added = 1,

    /// <summary>A known key whose values differ from what the sync last saw.</summary>
    Changed = 2,

    /// <summary>A known key the source no longer returns.</summary>
    Deleted = 4,

    /// <summary>The default mode: send new and changed records, never deletes.</summary>
    AddedOrChanged = Added | Changed,
}
