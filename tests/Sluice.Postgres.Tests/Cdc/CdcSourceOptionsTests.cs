using Sluice.Core.Configuration;
using Sluice.Core.Mapping;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary><c>cdc:</c> under a sync's source: its forms, its defaults, and the mistakes it names.</summary>
public sealed class CdcSourceOptionsTests
{
    [Fact]
    public void Cdc_true_follows_the_table_from_a_snapshot_through_the_syncs_own_slot_and_publication()
    {
        var options = Bind("table: public.accounts\ncdc: true");

        Assert.Equal(["public.accounts"], options.Tables);
        Assert.Equal((CdcStart.Snapshot, "sluice_accounts_cdc", false, "sluice_accounts_cdc", false, TimeSpan.FromSeconds(10)),
            (options.Start, options.Slot, options.SlotNamed, options.Publication, options.PublicationNamed, options.Heartbeat));
    }

    [Fact]
    public void A_cdc_mapping_names_the_start_existing_objects_and_the_heartbeat()
    {
        var options = Bind("tables: [a, b]\ncdc: {start: now, slot: app_slot, publication: app_pub, heartbeat: 30s}");

        Assert.Equal(["a", "b"], options.Tables);
        Assert.Equal((CdcStart.Now, "app_slot", true, "app_pub", true, TimeSpan.FromSeconds(30)),
            (options.Start, options.Slot, options.SlotNamed, options.Publication, options.PublicationNamed, options.Heartbeat));
    }

    [Fact]
    public void Only_cdc_true_or_a_mapping_asks_for_cdc()
    {
        Assert.True(CdcSourceOptions.IsRequested(Source("table: a\ncdc: true")));
        Assert.True(CdcSourceOptions.IsRequested(Source("table: a\ncdc: {start: now}")));
        Assert.False(CdcSourceOptions.IsRequested(Source("table: a\ncdc: false")));
        Assert.False(CdcSourceOptions.IsRequested(Source("table: a\ncursor: updated_at")));
    }

    [Theory]
    [InlineData("table: a\ntables: [b]\ncdc: true", "both 'table:' and 'tables:'")]
    [InlineData("cdc: true", "names no table")]
    [InlineData("table: a\ncursor: updated_at\ncdc: true", "'cursor' does not apply")]
    [InlineData("table: a\ncdc: {slot: My-Slot}", "lower-case letters")]
    [InlineData("table: a\ncdc: {strat: now}", "unknown key 'strat'")]
    [InlineData("table: a\ncdc: {heartbeat: 10ms}", "shorter than 100ms")]
    public void Mistakes_are_named_with_their_fix(string yaml, string message)
    {
        var error = Assert.Throws<ConfigException>(() => Bind(yaml));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static ConfigSection Source(string yaml) => ConfigSection.Parse("source:\n" + string.Join('\n', yaml.Split('\n').Select(l => "  " + l))).GetSection("source")!;

    private static CdcSourceOptions Bind(string yaml)
    {
        var root = ConfigSection.Parse("source:\n" + string.Join('\n', yaml.Split('\n').Select(l => "  " + l)) + "\ndestination: {connection: out}\n");
        return CdcSourceOptions.Bind(new SyncConfig("accounts_cdc", "app", "out", root.GetSection("source")!, root.GetSection("destination")!,
            MappingSpec.None(root.Location), null, root, root.Location));
    }
}
