namespace Sluice.Emulators.Tests.Segment;

/// <summary>spec/common.md "Timestamps" and http-api "Batch" (root context/integrations merged into items).</summary>
public sealed class TimestampAndMergeTests
{
    private static readonly DateTimeOffset ReceivedAt = DateTimeOffset.Parse("2019-03-05T06:33:36.745Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Clock_skew_is_corrected_as_timestamp_equals_receivedAt_minus_sentAt_minus_originalTimestamp()
    {
        // The processed event of circleci/analytics-clj#13: original 06:33:31.593, sentAt 06:33:32.900,
        // receivedAt 06:33:36.745 → timestamp 06:33:35.438.
        await using var harness = await EmulatorHarness.StartAsync(time: new ManualTimeProvider(ReceivedAt));
        const string Body = """
            {"sentAt":"2019-03-05T06:33:32.900Z","batch":[
              {"type":"track","userId":"u1","event":"E","timestamp":"2019-03-05T06:33:31.593Z"}
            ]}
            """;

        (await harness.PostAsync("v1/batch", Body)).Dispose();

        var message = Assert.Single(harness.Emulator.Messages());
        var json = EmulatorHarness.Parse(message);
        Assert.Equal("2019-03-05T06:33:36.745Z", json["receivedAt"]!.GetValue<string>());
        Assert.Equal("2019-03-05T06:33:31.593Z", json["originalTimestamp"]!.GetValue<string>());
        Assert.Equal("2019-03-05T06:33:32.900Z", json["sentAt"]!.GetValue<string>());
        Assert.Equal("2019-03-05T06:33:35.438Z", json["timestamp"]!.GetValue<string>());
        Assert.Equal(ReceivedAt, message.ReceivedAt);
    }

    [Fact]
    public async Task An_events_own_sentAt_wins_over_the_batch_root_sentAt()
    {
        await using var harness = await EmulatorHarness.StartAsync(time: new ManualTimeProvider(ReceivedAt));
        const string Body = """
            {"sentAt":"2019-03-05T06:00:00.000Z","batch":[
              {"type":"identify","userId":"u1","timestamp":"2019-03-05T06:33:31.593Z","sentAt":"2019-03-05T06:33:32.900Z"}
            ]}
            """;

        (await harness.PostAsync("v1/batch", Body)).Dispose();

        var json = EmulatorHarness.Parse(Assert.Single(harness.Emulator.Messages()));
        Assert.Equal("2019-03-05T06:33:35.438Z", json["timestamp"]!.GetValue<string>());
        Assert.Equal("2019-03-05T06:33:32.900Z", json["sentAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_client_time_the_timestamp_is_the_server_time_and_without_sentAt_it_is_not_corrected()
    {
        await using var harness = await EmulatorHarness.StartAsync(time: new ManualTimeProvider(ReceivedAt));

        (await harness.PostAsync("v1/identify", """{"userId":"u1","messageId":"none"}""")).Dispose();
        (await harness.PostAsync("v1/identify", """{"userId":"u1","messageId":"unsent","timestamp":"2019-03-05T01:02:03.004Z"}""")).Dispose();
        (await harness.PostAsync("v1/identify", """{"userId":"u1","messageId":"rudder","originalTimestamp":"2019-03-05T06:33:31.593Z","sentAt":"2019-03-05T06:33:32.900Z"}""")).Dispose();

        var messages = harness.Emulator.Messages().ToDictionary(m => m.MessageId, EmulatorHarness.Parse);
        Assert.Equal("2019-03-05T06:33:36.745Z", messages["none"]["timestamp"]!.GetValue<string>());
        Assert.False(messages["none"].ContainsKey("originalTimestamp"));
        Assert.Equal("2019-03-05T01:02:03.004Z", messages["unsent"]["timestamp"]!.GetValue<string>());
        Assert.Equal("2019-03-05T01:02:03.004Z", messages["unsent"]["originalTimestamp"]!.GetValue<string>());

        // RudderStack's SDK sends originalTimestamp instead of timestamp.
        Assert.Equal("2019-03-05T06:33:35.438Z", messages["rudder"]["timestamp"]!.GetValue<string>());
        Assert.Equal("2019-03-05T06:33:31.593Z", messages["rudder"]["originalTimestamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_root_context_and_integrations_are_merged_into_each_item_with_the_items_keys_winning()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        const string Body = """
            {"batch":[
               {"type":"identify","userId":"u1","messageId":"with","context":{"ip":"10.0.0.1"},"integrations":{"All":false}},
               {"type":"identify","userId":"u2","messageId":"without"}
             ],
             "context":{"ip":"192.168.0.1","device":{"type":"phone"}},
             "integrations":{"All":true,"Mixpanel":false}}
            """;

        (await harness.PostAsync("v1/batch", Body)).Dispose();

        var messages = harness.Emulator.Messages().ToDictionary(m => m.MessageId, EmulatorHarness.Parse);
        Assert.Equal("10.0.0.1", messages["with"]["context"]!["ip"]!.GetValue<string>());
        Assert.Equal("phone", messages["with"]["context"]!["device"]!["type"]!.GetValue<string>());
        Assert.False(messages["with"]["integrations"]!["All"]!.GetValue<bool>());
        Assert.False(messages["with"]["integrations"]!["Mixpanel"]!.GetValue<bool>());
        Assert.Equal("192.168.0.1", messages["without"]["context"]!["ip"]!.GetValue<string>());
        Assert.True(messages["without"]["integrations"]!["All"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_event_without_messageId_gets_one_assigned_in_its_JSON()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        (await harness.PostAsync("v1/track", """{"userId":"u1","event":"E","messageId":""}""")).Dispose();

        var message = Assert.Single(harness.Emulator.Messages());
        Assert.StartsWith("api-", message.MessageId, StringComparison.Ordinal);
        Assert.Equal(message.MessageId, EmulatorHarness.Parse(message)["messageId"]!.GetValue<string>());
        Assert.Equal("track", EmulatorHarness.Parse(message)["type"]!.GetValue<string>());
    }
}
