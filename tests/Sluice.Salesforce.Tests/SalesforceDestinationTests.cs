using System.Security.Cryptography;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

public sealed class SalesforceDestinationTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private static async Task<(SalesforceDestination Destination, CompiledMapping Mapping)> OpenAsync(SalesforceClient client, SalesforceDestinationOptions options)
    {
        var destination = SalesforceBed.Destination(client, options);
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        return (destination, CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape));
    }

    private static async Task<IReadOnlyList<WriteResult>> WriteAsync(SalesforceDestination destination, CompiledMapping mapping, IEnumerable<int> accounts) =>
        await destination.WriteAsync([.. accounts.Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i)), mapping))], CancellationToken.None);

    [Fact]
    public async Task Upserted_accounts_carry_every_field_type_and_come_back_with_their_Salesforce_ids()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert());

        var results = await WriteAsync(destination, mapping, [1, 2, 3]);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        var held = _bed.Held().Single(r => (string?)r.Get("External_Id__c") == "acct-2");
        Assert.Equal(held.Id, results[1].DestinationId);
        Assert.StartsWith("001", held.Id);
        Assert.Equal("Trial", held.Get("Tier__c"));
        Assert.Equal(101.50m, Convert.ToDecimal(held.Get("MRR__c"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("sso;api", held.Get("Features__c"));
        Assert.Equal("""{"seats": 5}""", held.Get("Settings__c"));
        Assert.Equal(true, held.Get("Active__c"));
    }

    [Fact]
    public async Task A_restricted_picklist_value_and_an_over_long_name_are_refused_with_the_reason_while_the_rest_flows()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert(fields: new Dictionary<string, SalesforceFieldOptions>
        {
            ["Tier__c"] = new() { Values = new Dictionary<string, string> { ["trial"] = "Trial", ["paid"] = "Customer" } },
        }));

        var good = destination.Encode(SalesforceBed.Change(mapping, "acct-1", SalesforceBed.Account(1, plan: "paid")), mapping);
        var badPlan = Assert.Throws<SluiceException>(() => destination.Encode(SalesforceBed.Change(mapping, "acct-2", SalesforceBed.Account(2, plan: "churned")), mapping));
        var longName = Assert.Throws<SluiceException>(() => destination.Encode(SalesforceBed.Change(mapping, "acct-3", SalesforceBed.Account(3, name: new string('n', 256))), mapping));
        var results = await destination.WriteAsync([good], CancellationToken.None);

        Assert.Equal(ErrorClass.RecordRejected, badPlan.Class);
        Assert.StartsWith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", badPlan.Message);
        Assert.StartsWith("STRING_TOO_LONG", longName.Message);
        Assert.Equal(WriteStatus.Ok, results[0].Status);
        Assert.Equal("Customer", Assert.Single(_bed.Held()).Get("Tier__c"));
    }

    [Fact]
    public async Task Salesforces_own_refusal_comes_back_per_record_with_its_status_code()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert());
        var records = new[] { 1, 2 }.Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i, name: i == 2 ? "" : null)), mapping)).ToList();

        var results = await destination.WriteAsync(records, CancellationToken.None);

        Assert.Equal(WriteStatus.Ok, results[0].Status);
        Assert.Equal(WriteStatus.Rejected, results[1].Status);
        Assert.StartsWith("REQUIRED_FIELD_MISSING", results[1].Reason);
    }

    [Fact]
    public async Task An_expired_token_is_refreshed_once_and_the_write_goes_through()
    {
        var client = _bed.Client();
        var (destination, mapping) = await OpenAsync(client, SalesforceBed.Upsert());
        Assert.Equal(WriteStatus.Ok, (await WriteAsync(destination, mapping, [1]))[0].Status);

        _bed.Emulator.ExpireTokens();
        var results = await WriteAsync(destination, mapping, [2]);

        Assert.Equal(WriteStatus.Ok, results[0].Status);
        Assert.Equal(2, _bed.Held().Count);
        Assert.Equal(2, _bed.Emulator.Requests.Count(r => r.Path.EndsWith("/oauth2/token", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task REQUEST_LIMIT_EXCEEDED_asks_the_engine_to_pause_and_nothing_is_written_twice_or_lost()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert());
        _bed.Emulator.SetFaults(new SalesforceFaultOptions { RequestLimitRate = 1 });

        var error = await Assert.ThrowsAsync<SluiceException>(() => WriteAsync(destination, mapping, [1, 2]));
        Assert.True(error.IsRetryable);
        Assert.NotNull(error.RetryAfter);
        Assert.Contains("REQUEST_LIMIT_EXCEEDED", error.Message);
        Assert.Empty(_bed.Held());

        _bed.Emulator.SetFaults(new SalesforceFaultOptions());
        var results = await WriteAsync(destination, mapping, [1, 2]);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(2, _bed.Held().Count);
    }

    [Fact]
    public async Task Writes_stop_with_a_plain_message_before_the_daily_share_is_exceeded()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(_bed.Connection(maxDailyShare: 0.5)), SalesforceBed.Upsert());
        _bed.Emulator.SetApiUsage(7_499, 15_000);
        Assert.Equal(WriteStatus.Ok, (await WriteAsync(destination, mapping, [1]))[0].Status);

        var error = await Assert.ThrowsAsync<SluiceException>(() => WriteAsync(destination, mapping, [2]));

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("max_daily_share (50%) allows 7,500", error.Message);
        Assert.Single(_bed.Held());
    }

    [Fact]
    public async Task Writes_stop_naming_the_orgs_own_limit_once_an_answer_says_every_daily_request_is_used()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(_bed.Connection(maxDailyShare: 1.0)), SalesforceBed.Upsert());
        _bed.Emulator.SetApiUsage(14_999, 15_000);
        Assert.Equal(WriteStatus.Ok, (await WriteAsync(destination, mapping, [1]))[0].Status);

        // The answer said 15,000 of 15,000: the next write is not sent, and stops as the 403 it would get would stop it.
        var sent = _bed.Emulator.Requests.Count;
        var error = await Assert.ThrowsAsync<SluiceException>(() => WriteAsync(destination, mapping, [2]));

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("the org has used all of its 15,000 daily API requests (403 REQUEST_LIMIT_EXCEEDED", error.Message);
        Assert.DoesNotContain("max_daily_share (", error.Message);
        Assert.Single(_bed.Held());
        Assert.Equal(sent, _bed.Emulator.Requests.Count);
    }

    [Fact]
    public async Task Every_write_is_marked_as_Sluices_own()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert());
        await WriteAsync(destination, mapping, [1]);

        var write = _bed.Emulator.Requests.Single(r => r.Path.Contains("/composite/sobjects", StringComparison.Ordinal));
        Assert.Equal("PATCH", write.Method);
        Assert.Contains("client=sluice", write.CallOptions);
    }

    [Fact]
    public async Task Insert_creates_a_record_per_change()
    {
        var options = new SalesforceDestinationOptions { Object = "Account", Operation = SalesforceOperation.Insert };
        var (destination, mapping) = await OpenAsync(_bed.Client(), options);

        var results = await WriteAsync(destination, mapping, [1, 2]);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(results.Select(r => r.DestinationId).Order(), _bed.Held().Select(r => r.Id).Order());
    }

    [Fact]
    public async Task An_unknown_object_is_a_config_error_naming_the_key()
    {
        var destination = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions
        {
            Object = "Acount",
            ExternalId = "External_Id__c",
            ObjectLocation = new ConfigLocation("sluice.yaml", 7, 9, "syncs.accounts.destination.object"),
        });

        var error = await Assert.ThrowsAsync<ConfigException>(() => destination.DiscoverAsync(CancellationToken.None));

        Assert.Contains("syncs.accounts.destination.object", error.Message);
        Assert.Contains("Acount", error.Message);
    }

    [Theory]
    [InlineData(SalesforceAuthFlow.Password)]
    [InlineData(SalesforceAuthFlow.ClientCredentials)]
    [InlineData(SalesforceAuthFlow.RefreshToken)]
    public async Task Each_flow_logs_in_and_reads_the_org_limits(SalesforceAuthFlow flow)
    {
        var auth = flow switch
        {
            SalesforceAuthFlow.Password => null,
            SalesforceAuthFlow.ClientCredentials => new SalesforceAuthOptions { Flow = flow, ClientId = SalesforceBed.ClientId, ClientSecret = new Secret(SalesforceBed.ClientSecret) },
            _ => new SalesforceAuthOptions { Flow = flow, ClientId = SalesforceBed.ClientId, ClientSecret = new Secret(SalesforceBed.ClientSecret), RefreshToken = new Secret(SalesforceBed.RefreshToken) },
        };
        var client = _bed.Client(_bed.Connection(auth));

        var usage = await client.LimitsAsync(CancellationToken.None);

        Assert.Equal(15_000, usage.Max);
    }

    [Fact]
    public async Task The_JWT_bearer_flow_logs_in_with_a_signed_assertion()
    {
        using var key = RSA.Create(2048);
        await using var bed = await SalesforceBed.StartAsync(jwtCertificate: key.ExportSubjectPublicKeyInfoPem());
        var client = bed.Client(bed.Connection(new SalesforceAuthOptions
        {
            Flow = SalesforceAuthFlow.JwtBearer,
            ClientId = SalesforceBed.ClientId,
            Username = SalesforceBed.Username,
            PrivateKey = new Secret(key.ExportPkcs8PrivateKeyPem()),
        }));

        var usage = await client.LimitsAsync(CancellationToken.None);

        Assert.True(usage.Max > 0);
    }
}

public sealed class SalesforceVolumeTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private static async Task<(SalesforceDestination Destination, CompiledMapping Mapping)> OpenAsync(SalesforceClient client, SalesforceDestinationOptions options)
    {
        var destination = SalesforceBed.Destination(client, options);
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        return (destination, CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape));
    }

    [Fact]
    public async Task Above_the_bulk_threshold_one_Bulk_job_writes_the_batch_and_per_record_failures_come_back()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert(bulkThreshold: 50));
        var batch = Enumerable.Range(1, 120)
            .Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i, name: i % 40 == 0 ? "" : null)), mapping))
            .ToList();

        var results = await destination.WriteAsync(batch, CancellationToken.None);

        Assert.Equal(120, results.Count);
        for (var i = 1; i <= 120; i++)
        {
            var result = results[i - 1];
            if (i % 40 == 0)
            {
                Assert.Equal(WriteStatus.Rejected, result.Status);
                Assert.StartsWith("REQUIRED_FIELD_MISSING", result.Reason);
            }
            else
            {
                Assert.Equal(WriteStatus.Ok, result.Status);
                Assert.Equal(_bed.Held().Single(r => (string?)r.Get("External_Id__c") == $"acct-{i}").Id, result.DestinationId);
            }
        }

        Assert.Equal(117, _bed.Held().Count);
        Assert.DoesNotContain(_bed.Emulator.Requests, r => r.Path.Contains("/composite/sobjects", StringComparison.Ordinal));
        Assert.Single(_bed.Emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/jobs/ingest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Bulk_job_where_every_row_succeeds_reads_only_the_successful_results()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert(bulkThreshold: 50));
        var batch = Enumerable.Range(1, 120)
            .Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i)), mapping))
            .ToList();

        var results = await destination.WriteAsync(batch, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Single(_bed.Emulator.Requests, r => r.Path.EndsWith("/successfulResults/", StringComparison.Ordinal));
        Assert.DoesNotContain(_bed.Emulator.Requests, r => r.Path.EndsWith("/failedResults/", StringComparison.Ordinal));
        Assert.DoesNotContain(_bed.Emulator.Requests, r => r.Path.EndsWith("/unprocessedrecords/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_changes_only_records_that_exist_and_explains_the_rest()
    {
        var (upsert, upsertMapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert());
        await upsert.WriteAsync([upsert.Encode(SalesforceBed.Change(upsertMapping, "acct-1", SalesforceBed.Account(1)), upsertMapping)], CancellationToken.None);
        var (update, mapping) = await OpenAsync(_bed.Client(), new SalesforceDestinationOptions { Object = "Account", Operation = SalesforceOperation.Update, ExternalId = "External_Id__c" });

        var results = await update.WriteAsync(
            [.. new[] { 1, 2 }.Select(i => update.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i, name: $"Renamed {i}")), mapping))],
            CancellationToken.None);

        Assert.Equal(WriteStatus.Ok, results[0].Status);
        Assert.Equal(WriteStatus.Rejected, results[1].Status);
        Assert.Contains("never creates records", results[1].Reason);
        Assert.Equal("Renamed 1", Assert.Single(_bed.Held()).Get("Name"));
    }

    [Fact]
    public async Task A_source_delete_deletes_the_record_found_by_its_external_id()
    {
        var (destination, mapping) = await OpenAsync(_bed.Client(), SalesforceBed.Upsert(delete: true));
        await destination.WriteAsync([.. new[] { 1, 2 }.Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i)), mapping))], CancellationToken.None);

        var results = await destination.WriteAsync(
            [destination.Encode(SalesforceBed.Change(mapping, "acct-1", SalesforceBed.Account(1), ChangeOperation.Delete), mapping),
             destination.Encode(SalesforceBed.Change(mapping, "acct-9", SalesforceBed.Account(9), ChangeOperation.Delete), mapping)],
            CancellationToken.None);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal("acct-2", Assert.Single(_bed.Held(), r => !r.IsDeleted).Get("External_Id__c"));
    }
}
