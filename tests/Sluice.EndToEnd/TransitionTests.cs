using System.Text.Json;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>Track on a transition (S2) and deletes mapped to a Segment call, on real PostgreSQL, to the Segment emulator.</summary>
public sealed class TransitionTests
{
    private const string Upgrades = """
          upgrades:
            source: {connection: app, query: "SELECT id, status, seats FROM accounts", key: [id]}
            destination:
              connection: segment
              call: track
              event: Subscription Upgraded
              transition: {column: status, from: [trial, free], to: paid}
            mapping: {user_id: id, properties: {status: status, seats: seats}}
        """;

    [Fact]
    public async Task A_transition_fires_once_with_the_previous_value_and_never_on_unrelated_updates()
    {
        await using var bed = await Bed.CreateAsync(nameof(A_transition_fires_once_with_the_previous_value_and_never_on_unrelated_updates), Upgrades);
        await using var workspace = bed.Workspace();

        // The first run sees 'paid' accounts, but no value moved: it only sets what later runs compare with.
        var first = await workspace.RunAsync("upgrades", RunKind.Incremental, null, default);
        Assert.Equal((100L, 0L), (first.Read, first.Acknowledged));
        Assert.Equal(100L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE watched_values ? 'status'"));

        await bed.ExecuteAsync("""
            UPDATE accounts SET status = 'paid' WHERE id IN (1, 2);      -- trial → paid, free → paid: fire
            UPDATE accounts SET status = 'paid' WHERE id = 3;            -- cancelled → paid: not a 'from'
            UPDATE accounts SET seats = seats + 1 WHERE id IN (4, 5);     -- another column: nothing
            UPDATE accounts SET status = 'paid' WHERE id = 8;            -- paid → paid: nothing
            """);
        var second = await workspace.RunAsync("upgrades", RunKind.Incremental, null, default);

        Assert.Equal((5L, 2L), (second.Read, second.Acknowledged));
        var events = bed.Emulator.Messages("track");
        Assert.Equal(["1", "2"], events.Select(m => m.UserId!).Order(StringComparer.Ordinal));
        var one = Properties(events.Single(m => m.UserId == "1"));
        Assert.Equal(("paid", "trial", 10), (one.GetProperty("status").GetString(), one.GetProperty("previous_status").GetString(), one.GetProperty("seats").GetInt32()));
        Assert.Equal("free", Properties(events.Single(m => m.UserId == "2")).GetProperty("previous_status").GetString());
        Assert.All(events, m => Assert.Equal("Subscription Upgraded", JsonDocument.Parse(m.Json).RootElement.GetProperty("event").GetString()));

        Assert.Equal(0, (await workspace.RunAsync("upgrades", RunKind.Incremental, null, default)).Acknowledged);

        // paid → trial is not the transition; trial → paid again, a run later, is: a second event, not a duplicate.
        await bed.ExecuteAsync("UPDATE accounts SET status = 'trial' WHERE id = 1");
        Assert.Equal(0, (await workspace.RunAsync("upgrades", RunKind.Incremental, null, default)).Acknowledged);
        await bed.ExecuteAsync("UPDATE accounts SET status = 'paid' WHERE id = 1");
        Assert.Equal(1, (await workspace.RunAsync("upgrades", RunKind.Incremental, null, default)).Acknowledged);

        Assert.Equal(2, bed.Emulator.Messages("track").Count(m => m.UserId == "1"));
        Assert.Equal((3, 0L), ((int)bed.Emulator.Stats.Unique, bed.Emulator.Stats.Duplicates));
    }

    [Fact]
    public async Task Without_from_or_to_any_move_of_the_column_fires_and_a_new_record_does_not()
    {
        await using var bed = await Bed.CreateAsync(nameof(Without_from_or_to_any_move_of_the_column_fires_and_a_new_record_does_not), """
              status_changed:
                source: {connection: app, table: accounts}
                destination: {connection: segment, call: track, event: Status Changed, transition: {column: status, previous: old_status}}
                mapping: {user_id: id, properties: {status: status}}
            """);
        await using var workspace = bed.Workspace();
        Assert.Equal(0, (await workspace.RunAsync("status_changed", RunKind.Incremental, null, default)).Acknowledged);

        await bed.ExecuteAsync("""
            UPDATE accounts SET status = NULL WHERE id = 7;
            UPDATE accounts SET status = 'free' WHERE id = 8;
            INSERT INTO accounts VALUES (101, 'paid', 1);
            """);
        var run = await workspace.RunAsync("status_changed", RunKind.Incremental, null, default);

        Assert.Equal((3L, 2L), (run.Read, run.Acknowledged));
        var moved = bed.Emulator.Messages("track").ToDictionary(m => m.UserId!, Properties);
        Assert.Equal(JsonValueKind.Null, moved["7"].GetProperty("status").ValueKind);
        Assert.Equal("cancelled", moved["7"].GetProperty("old_status").GetString());
        Assert.Equal(("free", "paid"), (moved["8"].GetProperty("status").GetString(), moved["8"].GetProperty("old_status").GetString()));
    }

    [Fact]
    public async Task Deletes_arrive_as_the_configured_call_identified_by_the_key()
    {
        await using var bed = await Bed.CreateAsync(nameof(Deletes_arrive_as_the_configured_call_identified_by_the_key), Upgrades + "\n" + """
              deleted_events:
                source: {connection: app, query: "SELECT id, status FROM accounts", key: [id]}
                destination:
                  connection: segment
                  call: track
                  event: Subscription Upgraded
                  transition: {column: status, to: paid}
                  on_delete: {call: track, event: Account Deleted, properties: {reason: removed}}
                mapping: {user_id: id}
                on: [added, changed, deleted]
              deleted_traits:
                source: {connection: app, query: "SELECT id, status FROM accounts", key: [id]}
                destination: {connection: segment, call: identify, on_delete: {call: identify, traits: {deleted: true, seats: 0}}}
                mapping: {user_id: id, traits: {status: status}}
                on: [added, changed, deleted]
            """);
        await using var workspace = bed.Workspace();
        Assert.Equal(0, (await workspace.RunAsync("deleted_events", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(100, (await workspace.RunAsync("deleted_traits", RunKind.Incremental, null, default)).Acknowledged);

        await bed.ExecuteAsync("DELETE FROM accounts WHERE id IN (3, 4)");
        Assert.Equal(2, (await workspace.RunAsync("deleted_events", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(2, (await workspace.RunAsync("deleted_traits", RunKind.Incremental, null, default)).Acknowledged);

        var events = bed.Emulator.Messages("track");
        Assert.Equal(["3", "4"], events.Select(m => m.UserId!).Order(StringComparer.Ordinal));
        var three = JsonDocument.Parse(events.Single(m => m.UserId == "3").Json).RootElement;
        Assert.Equal("Account Deleted", three.GetProperty("event").GetString());
        Assert.Equal("removed", three.GetProperty("properties").GetProperty("reason").GetString());
        Assert.Equal("cancelled", three.GetProperty("properties").GetProperty("previous_status").GetString()); // the last stored value

        var traits = bed.Emulator.Messages("identify").Skip(100).Select(m => (m.UserId, JsonDocument.Parse(m.Json).RootElement.GetProperty("traits"))).ToList();
        Assert.Equal(["3", "4"], traits.Select(t => t.UserId!).Order(StringComparer.Ordinal));
        Assert.All(traits, t => Assert.Equal((true, 0, 2), (t.Item2.GetProperty("deleted").GetBoolean(), t.Item2.GetProperty("seats").GetInt32(), t.Item2.EnumerateObject().Count())));
        Assert.Equal(98L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state r JOIN sluice.syncs s ON s.id = r.sync_id WHERE s.name = 'deleted_traits'"));

        // Deleted, back, deleted again: a second delete event, not dropped as a duplicate of the first.
        await bed.ExecuteAsync("INSERT INTO accounts VALUES (3, 'trial', 1)");
        Assert.Equal(0, (await workspace.RunAsync("deleted_events", RunKind.Incremental, null, default)).Acknowledged);
        await bed.ExecuteAsync("DELETE FROM accounts WHERE id = 3");
        Assert.Equal(1, (await workspace.RunAsync("deleted_events", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(0, bed.Emulator.Stats.Duplicates);
    }

    [Fact]
    public async Task A_failed_run_moves_no_previous_value_and_the_next_run_fires_the_transition_once()
    {
        await using var bed = await Bed.CreateAsync(nameof(A_failed_run_moves_no_previous_value_and_the_next_run_fires_the_transition_once),
            Upgrades + "\n    retry: {max_attempts: 2, base_delay: 10ms, max_delay: 20ms}");
        await using var workspace = bed.Workspace();
        await workspace.RunAsync("upgrades", RunKind.Incremental, null, default);
        await bed.ExecuteAsync("UPDATE accounts SET status = 'paid' WHERE id IN (1, 2, 5, 6)");

        bed.Emulator.SetFaults(new SegmentFaultOptions { ServerErrorRate = 1 });
        await Assert.ThrowsAsync<SluiceException>(() => workspace.RunAsync("upgrades", RunKind.Incremental, null, default));
        // The fingerprint and the previous value stay together, unmoved: the transition is still to be sent.
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE record_key IN ('1', '2', '5', '6') AND watched_values->>'status' = 'paid'"));

        bed.Emulator.SetFaults(new SegmentFaultOptions());
        Assert.Equal(4, (await workspace.RunAsync("upgrades", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(4L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE record_key IN ('1', '2', '5', '6') AND watched_values->>'status' = 'paid'"));
        Assert.Equal(0, (await workspace.RunAsync("upgrades", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(4, bed.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task A_transition_on_a_cursor_source_or_without_changed_and_deletes_without_on_delete_are_refused_plainly()
    {
        await using var bed = await Bed.CreateAsync(nameof(A_transition_on_a_cursor_source_or_without_changed_and_deletes_without_on_delete_are_refused_plainly), """
              by_cursor:
                source: {connection: app, table: accounts, cursor: id}
                destination: {connection: segment, call: track, event: Upgraded, transition: {column: status, to: paid}}
                mapping: {user_id: id}
              added_only:
                source: {connection: app, table: accounts}
                destination: {connection: segment, call: track, event: Upgraded, transition: {column: status, to: paid}}
                mapping: {user_id: id}
                on: [added]
              no_on_delete:
                source: {connection: app, table: accounts}
                destination: {connection: segment, call: track, event: Upgraded, transition: {column: status, to: paid}}
                mapping: {user_id: id}
                on: [added, changed, deleted]
            """);
        await using var workspace = bed.Workspace();

        var cursor = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunAsync("by_cursor", RunKind.Incremental, null, default));
        Assert.Contains("keeps none (it follows a cursor)", cursor.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.by_cursor.destination.transition", cursor.Location?.KeyPath);

        var added = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunAsync("added_only", RunKind.Incremental, null, default));
        Assert.Contains("leaves changed records out", added.Message, StringComparison.Ordinal);

        var deletes = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunAsync("no_on_delete", RunKind.Incremental, null, default));
        Assert.Contains("on_delete", deletes.Message, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    private static JsonElement Properties(ReceivedMessage message) => JsonDocument.Parse(message.Json).RootElement.GetProperty("properties");

    /// <summary>An <c>accounts</c> table (id 1..100; status trial, free, cancelled, paid by id % 4), the emulator and a sluice.yaml.</summary>
    /// <summary>An <c>accounts</c> table (100 rows cycling trial, free, cancelled, paid) and the given syncs.</summary>
    private static class Bed
    {
        /// <param name="name">Names the test's database.</param>
        /// <param name="syncs">Entries of <c>syncs:</c>, indented by 2.</param>
        public static Task<TestBed> CreateAsync(string name, string syncs) =>
            TestBed.CreateAsync(name,
                """
                CREATE TABLE accounts (id bigint PRIMARY KEY, status text, seats int NOT NULL);
                INSERT INTO accounts SELECT i, (ARRAY['trial','free','cancelled','paid'])[1 + (i - 1) % 4], 10 FROM generate_series(1, 100) i;
                """,
                at => $"""
                    {at.Connections(requestsPerSecond: 10000)}
                    syncs:
                    {syncs}
                    """);
    }
}
