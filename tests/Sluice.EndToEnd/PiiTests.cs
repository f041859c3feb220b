using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// "PII never leaves unless allowed", on real PostgreSQL and the Segment emulator over HTTP: hashed, masked and
/// dropped fields, checked against everything the emulator received, and the audit log each run leaves.
/// </summary>
public sealed class PiiTests
{
    private const string Salt = "e2e-salt-7c9d31f0a2";
    private const int Customers = 400;

    [Fact]
    public async Task A_hashed_email_never_reaches_Segment_in_clear_and_masked_and_dropped_fields_look_as_documented()
    {
        await using var bed = await PiiBed.CreateAsync(nameof(A_hashed_email_never_reaches_Segment_in_clear_and_masked_and_dropped_fields_look_as_documented));
        await using var workspace = bed.Workspace();

        var result = await workspace.RunAsync(PiiBed.SyncName, RunKind.Incremental, null, default);

        Assert.Equal(Customers, result.Acknowledged);
        var messages = bed.Emulator.Messages("identify");
        Assert.Equal(Customers, messages.Count);
        var secrets = await bed.ColumnAsync("SELECT email FROM customers WHERE email IS NOT NULL UNION ALL SELECT lower(trim(email)) FROM customers WHERE email IS NOT NULL " +
                                            "UNION ALL SELECT card FROM customers UNION ALL SELECT phone FROM customers UNION ALL SELECT bio FROM customers");
        Assert.Equal((2 * (Customers - (Customers / 13))) + (3 * Customers), secrets.Count);
        foreach (var message in messages)
        {
            foreach (var secret in secrets)
            {
                Assert.False(message.Json.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' reached Segment in clear: {message.Json}");
            }

            Assert.DoesNotContain(Salt, message.Json, StringComparison.Ordinal);
        }

        var traits = Traits(messages, "7");
        Assert.Equal(Hmac(Salt, "user7@example.com"), traits.GetProperty("email").GetString());
        Assert.Equal("u***@example.com", traits.GetProperty("email_hint").GetString());
        Assert.Equal("************0007", traits.GetProperty("card").GetString());
        Assert.Equal("********", traits.GetProperty("phone").GetString());
        Assert.Equal("trial", traits.GetProperty("plan").GetString());
        Assert.False(traits.TryGetProperty("notes", out _), "a dropped field must not be sent at all");

        var withoutEmail = Traits(messages, "13");
        Assert.Equal(JsonValueKind.Null, withoutEmail.GetProperty("email").ValueKind);
        Assert.Equal(JsonValueKind.Null, withoutEmail.GetProperty("email_hint").ValueKind);
    }

    [Fact]
    public async Task A_run_leaves_an_audit_row_with_field_names_transforms_counts_and_who_ran_it_but_no_values()
    {
        await using var bed = await PiiBed.CreateAsync(nameof(A_run_leaves_an_audit_row_with_field_names_transforms_counts_and_who_ran_it_but_no_values));
        await using var workspace = bed.Workspace();

        var result = await workspace.RunAsync(PiiBed.SyncName, RunKind.Incremental, null, default);

        await using var command = bed.Db.CreateCommand(
            """
            SELECT a.sync_name, a.run_id, a.status, a.destination_connection, a.destination, a.acknowledged, a.rejected,
                   a.os_user, a.host, a.pid, a.started_at <= a.finished_at, a.fields::text, row_to_json(a)::text,
                   (SELECT string_agg(f->>'target' || ' ← ' || (f->>'column') || coalesce(' (' || (f->>'transform') || ')', ''), ' | ' ORDER BY ordinality)
                    FROM jsonb_array_elements(a.fields) WITH ORDINALITY AS e(f, ordinality))
            FROM sluice.audit_log a
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the run left no audit row");
        Assert.Equal(PiiBed.SyncName, reader.GetString(0));
        Assert.Equal(result.RunId, reader.GetInt64(1));
        Assert.Equal("succeeded", reader.GetString(2));
        Assert.Equal("segment", reader.GetString(3));
        Assert.StartsWith("Segment (", reader.GetString(4), StringComparison.Ordinal);
        Assert.Equal((Customers, 0L), (reader.GetInt64(5), reader.GetInt64(6)));
        Assert.Equal((Environment.UserName, Environment.MachineName, Environment.ProcessId), (reader.GetString(7), reader.GetString(8), reader.GetInt32(9)));
        Assert.True(reader.GetBoolean(10));
        Assert.Equal(
            "user_id ← id | timestamp ← updated_at | traits.email ← email (hash, salted, email normalized) | traits.email_hint ← email (mask email, email normalized) | " +
            "traits.card ← card (mask last4) | traits.phone ← phone (mask all) | traits.plan ← plan",
            reader.GetString(13));
        Assert.DoesNotContain("notes", reader.GetString(11), StringComparison.Ordinal);
        var row = reader.GetString(12);
        Assert.False(await reader.ReadAsync(), "one run, one audit row");
        await reader.DisposeAsync();

        Assert.DoesNotContain(Salt, row, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.com", row, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("4111", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_run_is_audited_too()
    {
        await using var bed = await PiiBed.CreateAsync(nameof(A_failed_run_is_audited_too), new SegmentEmulatorOptions { Port = 0, WriteKeys = ["the-right-key"] });
        await using var workspace = bed.Workspace();

        await Assert.ThrowsAnyAsync<SluiceException>(() => workspace.RunAsync(PiiBed.SyncName, RunKind.Incremental, null, default));

        Assert.Equal("failed|0|traits.email", await bed.ScalarAsync(
            "SELECT concat_ws('|', status, acknowledged, fields->2->>'target') FROM sluice.audit_log"));
    }

    private static JsonElement Traits(IReadOnlyList<ReceivedMessage> messages, string userId) =>
        JsonDocument.Parse(Assert.Single(messages, m => m.UserId == userId).Json).RootElement.GetProperty("traits");

    private static string Hmac(string key, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value)));

    /// <summary>A <c>customers</c> table full of PII, a Segment emulator, and a sync that hashes, masks and drops.</summary>
    /// <summary>A <c>customers</c> table with PII and a sync that hashes, masks and drops it, over a <see cref="TestBed"/>.</summary>
    private sealed class PiiBed(TestBed bed) : IAsyncDisposable
    {
        public const string SyncName = "customers_to_segment";

        public NpgsqlDataSource Db => bed.Db;

        public SegmentEmulator Emulator => bed.Emulator;

        public static async Task<PiiBed> CreateAsync(string name, SegmentEmulatorOptions? emulator = null) => new(await TestBed.CreateAsync(name,
            // Mixed-case, padded addresses (normalize must fold them), a NULL email every 13th row, cards, phones, notes.
            $"""
            CREATE TABLE customers (
                id bigint PRIMARY KEY,
                email text,
                card text NOT NULL,
                phone text NOT NULL,
                bio text NOT NULL,
                plan text NOT NULL,
                updated_at timestamptz NOT NULL
            );
            INSERT INTO customers
            SELECT i,
                   CASE WHEN i % 13 = 0 THEN NULL ELSE ' User' || i || '@Example.com' END,
                   '41111111' || lpad(i::text, 8, '0'),
                   '+1-555-' || lpad(i::text, 7, '0'),
                   'private note about customer ' || i,
                   (ARRAY['free','trial','pro'])[1 + i % 3],
                   '2024-01-01'::timestamptz + i * interval '1 second'
            FROM generate_series(1, {Customers}) i;
            """,
            at => $"""
                {at.Connections(requestsPerSecond: 10000)}
                syncs:
                  {SyncName}:
                    source:
                      connection: app
                      table: public.customers
                      cursor: updated_at
                    destination:
                      connection: segment
                      call: identify
                    batch:
                      size: 100
                    mapping:
                      user_id: id
                      timestamp: updated_at
                      traits:
                        email: {"{"} column: email, hash: true, salt: "${"{"}PII_SALT{"}"}", normalize: email {"}"}
                        email_hint: {"{"} column: email, mask: email, normalize: email {"}"}
                        card: {"{"} column: card, mask: last4 {"}"}
                        phone: {"{"} column: phone, mask: all {"}"}
                        notes: {"{"} column: bio, drop: true {"}"}
                        plan: plan

                """,
            emulator));

        public SluiceWorkspace Workspace() => bed.Workspace(new Dictionary<string, string> { ["PII_SALT"] = Salt });

        public Task<object?> ScalarAsync(string sql) => bed.ScalarAsync(sql);

        public async Task<IReadOnlyList<string>> ColumnAsync(string sql)
        {
            var values = new List<string>();
            await using var command = Db.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.Add(reader.GetString(0));
            }

            return values;
        }

        public ValueTask DisposeAsync() => bed.DisposeAsync();
    }
}
