using Sluice.Core.Configuration;
using Sluice.Core.State;

namespace Sluice.EndToEnd;

/// <summary>Schema changes never break a sync silently (challenge C1).</summary>
public sealed class SchemaChangeTests
{
    [Fact]
    public async Task A_dropped_mapped_column_fails_the_sync_loudly_naming_sync_column_and_table()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_dropped_mapped_column_fails_the_sync_loudly_naming_sync_column_and_table), 100);
        await using (var workspace = bed.Workspace())
        {
            await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        }

        await bed.ScalarAsync("ALTER TABLE users DROP COLUMN plan");
        await bed.ScalarAsync("UPDATE users SET updated_at = now() WHERE id <= 10");
        var eventsBefore = bed.Emulator.Stats.Events;

        await using (var workspace = bed.Workspace())
        {
            var error = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default));
            Assert.Contains($"syncs.{SyncTestBed.SyncName}.mapping.traits.plan", error.Message, StringComparison.Ordinal);
            Assert.Contains("column 'plan' does not exist in public.users", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(eventsBefore, bed.Emulator.Stats.Events); // nothing was sent with the trait missing

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output); // a configuration mistake: exit 2 from every command, as `sync` does
        Assert.Contains($"sync '{SyncTestBed.SyncName}'", output, StringComparison.Ordinal);
        Assert.Contains("column 'plan' does not exist in public.users", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_column_is_ignored_until_it_is_mapped()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_new_column_is_ignored_until_it_is_mapped), 20);
        await bed.ScalarAsync("ALTER TABLE users ADD COLUMN ssn text DEFAULT '123-45-6789'");
        await using var workspace = bed.Workspace();

        var result = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);

        Assert.Equal(20, result.Acknowledged);
        Assert.DoesNotContain(bed.Emulator.Messages(), m => m.Json.Contains("123-45-6789", StringComparison.Ordinal) || m.Json.Contains("ssn", StringComparison.Ordinal));
    }
}
