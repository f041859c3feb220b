using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// F6 of docs/salesforce.md: Tasks and Events into append-only audit tables, running its config file as written —
/// every version of a record appends one row, a poll that reads nothing new appends nothing, and a delete in
/// Salesforce leaves the history in place.
/// </summary>
public sealed class F6ActivityAuditUseCaseTests
{
    private const string Tables = """
        CREATE TABLE public.sf_task_audit (
          id text NOT NULL, system_modstamp timestamptz NOT NULL, subject text, status text, what_id text,
          PRIMARY KEY (id, system_modstamp));
        CREATE TABLE public.sf_event_audit (
          id text NOT NULL, system_modstamp timestamptz NOT NULL, subject text, starts_at timestamptz, minutes integer,
          PRIMARY KEY (id, system_modstamp));
        """;

    [Fact]
    public async Task F6_every_version_of_a_task_or_event_appends_one_row_and_nothing_is_ever_updated_or_deleted()
    {
        await using var bed = await UseCaseBed.StartAsync("f6-activity-audit.yaml", Tables);
        var acme = Save(bed, [Insert("Account", ("Name", "Acme"))])[0];
        var tasks = Save(bed, [Insert("Task", ("Subject", "Call"), ("WhatId", acme)), Insert("Task", ("Subject", "Send Quote"), ("WhatId", acme))]);
        var meeting = Save(bed, [Insert("Event", ("Subject", "Meeting"), ("StartDateTime", "2026-06-01T09:00:00Z"), ("DurationInMinutes", "30"))])[0];

        Assert.Equal(2, (await bed.RunAsync("task_audit")).Acknowledged);
        Assert.Equal(1, (await bed.RunAsync("event_audit")).Acknowledged);

        // The call is completed (a poll sees it), then its subject changes twice before the next poll: each version a
        // poll sees is one new row beside the first; the version overwritten between two polls was never seen.
        await NextStampAsync(bed);
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = tasks[0], Fields = [new("Status", "Completed")] }]);
        Assert.Equal(1, (await bed.RunAsync("task_audit")).Acknowledged);
        await NextStampAsync(bed);
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = tasks[0], Fields = [new("Subject", "Send Letter")] }]);
        await NextStampAsync(bed);
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = tasks[0], Fields = [new("Subject", "Other")] }]);
        // The meeting is deleted in Salesforce: an audit table keeps what it saw.
        Save(bed, [new SaveRequest { Operation = SaveOperation.Delete, Id = meeting }]);

        Assert.Equal(1, (await bed.RunAsync("task_audit")).Acknowledged);
        await bed.RunAsync("event_audit");
        var quietTasks = await bed.RunAsync("task_audit");

        Assert.Equal(0, quietTasks.Acknowledged);
        Assert.Equal(
            [$"{tasks[0]} Call Not Started", $"{tasks[0]} Call Completed", $"{tasks[0]} Other Completed", $"{tasks[1]} Send Quote Not Started"],
            await bed.ColumnAsync<string>("SELECT id || ' ' || subject || ' ' || status FROM public.sf_task_audit ORDER BY id, system_modstamp"));
        Assert.Equal([$"{meeting} Meeting 30"], await bed.ColumnAsync<string>("SELECT id || ' ' || subject || ' ' || minutes FROM public.sf_event_audit"));
        Assert.Equal([acme], await bed.ColumnAsync<string>("SELECT DISTINCT what_id FROM public.sf_task_audit"));
    }

    /// <summary>Waits until the org's clock has moved past the last stamp, so the next save is a distinct version.</summary>
    private static async Task NextStampAsync(UseCaseBed bed)
    {
        var start = DateTime.UtcNow;
        await Eventually.HoldsAsync(() => DateTime.UtcNow - start > TimeSpan.FromMilliseconds(5), "the clock to move on");
    }

    private static SaveRequest Insert(string objectName, params (string Name, string Value)[] fields) => new()
    {
        Operation = SaveOperation.Insert,
        ObjectName = objectName,
        Fields = [.. fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Name, JsonValue.Create(f.Value)))],
    };

    private static List<string> Save(UseCaseBed bed, IReadOnlyList<SaveRequest> requests)
    {
        var results = bed.Emulator.Org.Save(requests);
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Message))));
        return [.. results.Select(r => r.Id!)];
    }
}
