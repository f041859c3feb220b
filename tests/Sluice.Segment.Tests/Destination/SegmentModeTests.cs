using Sluice.Core.Configuration;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>The records export's mode words on a Segment destination: additive and sync where they make sense, enrich refused with why.</summary>
public sealed class SegmentModeTests
{
    [Fact]
    public void Mode_sync_sends_deletes_as_the_on_delete_call()
    {
        var sync = EncodingBed.Load("call: identify\nmode: sync\non_delete: {call: identify, traits: {deleted: true}}", "user_id: id");

        var options = SegmentDestinationOptions.Bind(sync.Destination);

        Assert.NotNull(options.OnDelete);
        Assert.Equal(ChangeKinds.AddedOrChanged | ChangeKinds.Deleted, SyncOptions.Bind(sync).On);
    }

    [Fact]
    public void Mode_additive_sends_added_and_changed_records_only()
    {
        var sync = EncodingBed.Load("call: identify\nmode: additive", "user_id: id");

        SegmentDestinationOptions.Bind(sync.Destination);

        Assert.Equal(ChangeKinds.AddedOrChanged, SyncOptions.Bind(sync).On);
    }

    [Fact]
    public void Mode_sync_without_on_delete_is_a_config_error_at_mode()
    {
        var sync = EncodingBed.Load("call: identify\nmode: sync", "user_id: id");

        var error = Assert.Throws<ConfigException>(() => SegmentDestinationOptions.Bind(sync.Destination));

        Assert.Contains("on_delete", error.Fix, StringComparison.Ordinal);
        Assert.EndsWith("destination.mode", error.Location!.KeyPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Mode_enrich_is_refused_with_why()
    {
        var sync = EncodingBed.Load("call: identify\nmode: enrich", "user_id: id");

        var error = Assert.Throws<ConfigException>(() => SegmentDestinationOptions.Bind(sync.Destination));

        Assert.Contains("creates the profile", error.Message, StringComparison.Ordinal);
    }
}
