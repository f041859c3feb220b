using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Org;
using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>/sobjects</c>: describe global, sObject describe, single-record CRUD, read/upsert/delete by external id,
/// and getUpdated/getDeleted (reference §2.2, §2.4, §2.5, §2.8).
/// </summary>
internal sealed class SObjectsResource(SalesforceState state) : IRestResource
{
    private static readonly TimeSpan UpdatedWindow = TimeSpan.FromDays(30);
    private static readonly TimeSpan DeletedWindow = TimeSpan.FromDays(15);

    public IReadOnlyList<string> Names { get; } = ["sobjects"];

    private SalesforceOrg Org => state.Org;

    public async Task HandleAsync(RestCall call)
    {
        var segments = call.Segments;
        if (segments.Count == 1)
        {
            await (HttpMethods.IsGet(call.Method) ? call.JsonAsync(200, DescribeJson.Global(Org.Schemas, call.BasePath)) : call.MethodNotAllowedAsync("GET", "HEAD"));
            return;
        }

        if (!Org.TryGetSchema(segments[1], out var schema))
        {
            await call.NotFoundAsync();
            return;
        }

        switch (segments.Count)
        {
            case 2 when HttpMethods.IsGet(call.Method):
                await call.JsonAsync(200, new JsonObject { ["objectDescribe"] = DescribeJson.Summary(schema, call.BasePath), ["recentItems"] = new JsonArray() });
                return;
            case 2 when HttpMethods.IsPost(call.Method):
                await CreateAsync(call, schema);
                return;
            case 2:
                await call.MethodNotAllowedAsync("GET", "HEAD", "POST");
                return;
            case 3 when segments[2] == "describe":
                await (HttpMethods.IsGet(call.Method) ? call.JsonAsync(200, DescribeJson.Object(schema, Org.Schemas, call.BasePath)) : call.MethodNotAllowedAsync("GET", "HEAD"));
                return;
            case 3 when segments[2] == "updated":
                await UpdatedAsync(call, schema);
                return;
            case 3 when segments[2] == "deleted":
                await DeletedAsync(call, schema);
                return;
            case 3 when segments[2] == "Id" && HttpMethods.IsPost(call.Method):
                // API ≥ 37: POST …/sobjects/Account/Id creates, treating Id as an external id with a null value.
                await CreateAsync(call, schema);
                return;
            case 3:
                await RecordAsync(call, schema, segments[2]);
                return;
            case 4:
                await ByExternalIdAsync(call, schema, segments[2], segments[3]);
                return;
            default:
                await call.NotFoundAsync();
                return;
        }
    }

    private async Task CreateAsync(RestCall call, SObjectSchema schema)
    {
        if (await call.ReadJsonAsync() is not { } node)
        {
            return;
        }

        if (node is not JsonObject body)
        {
            await call.ErrorAsync(400, Codes.JsonParserError, "Cannot deserialize instance of the sObject from a non-object value");
            return;
        }

        var result = Org.Save([new SaveRequest { Operation = SaveOperation.Insert, ObjectName = schema.Name, Fields = RecordJson.Fields(body) }], state.SaveOptions(false, call.UserId, call.ChangeOrigin))[0];
        if (!result.Success)
        {
            await SalesforceResponses.ErrorAsync(call.Context, 400, result.Errors[0]);
            return;
        }

        call.Context.Response.Headers.Location = $"{call.BasePath}/sobjects/{schema.Name}/{result.Id}";
        await call.JsonAsync(201, new JsonObject { ["id"] = result.Id, ["success"] = true, ["errors"] = new JsonArray() });
    }

    private async Task RecordAsync(RestCall call, SObjectSchema schema, string idText)
    {
        if (!SalesforceId.TryNormalize(idText, out var id) || id[..3] != schema.KeyPrefix)
        {
            await call.ErrorAsync(404, Codes.NotFound, $"Provided external ID field does not exist or is not accessible: {idText}");
            return;
        }

        var record = Org.Find(id);
        if (record is null)
        {
            await call.NotFoundAsync();
            return;
        }

        if (record.IsDeleted)
        {
            await call.ErrorAsync(404, Codes.EntityIsDeleted, "entity is deleted");
            return;
        }

        await RespondToRecordAsync(call, record);
    }

    private async Task RespondToRecordAsync(RestCall call, SObjectRecord record)
    {
        if (HttpMethods.IsGet(call.Method) || HttpMethods.IsHead(call.Method))
        {
            var fields = RecordJson.SelectFields(record.Schema, call.Query("fields"), out var unknown);
            if (fields is null)
            {
                await call.ErrorAsync(400, Codes.InvalidField, $"No such column '{unknown}' on sobject of type {record.Schema.Name}");
                return;
            }

            await call.JsonAsync(200, RecordJson.Write(record, call.BasePath, fields));
            return;
        }

        if (HttpMethods.IsDelete(call.Method))
        {
            var deleted = Org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = record.Id }], state.SaveOptions(false, call.UserId, call.ChangeOrigin))[0];
            await NoContentOrErrorAsync(call, deleted);
            return;
        }

        if (HttpMethods.IsPatch(call.Method))
        {
            if (await call.ReadJsonAsync() is not JsonObject body)
            {
                if (!call.Context.Response.HasStarted)
                {
                    await call.ErrorAsync(400, Codes.JsonParserError, "The request body must be a JSON object");
                }

                return;
            }

            var updated = Org.Save([new SaveRequest { Operation = SaveOperation.Update, Id = record.Id, Fields = RecordJson.Fields(body) }], state.SaveOptions(false, call.UserId, call.ChangeOrigin))[0];
            await NoContentOrErrorAsync(call, updated);
            return;
        }

        await call.MethodNotAllowedAsync("GET", "HEAD", "PATCH", "DELETE");
    }

    private async Task ByExternalIdAsync(RestCall call, SObjectSchema schema, string fieldName, string value)
    {
        if (!schema.TryGetField(fieldName, out var field) || !(field.ExternalId || field.Type == FieldType.Id))
        {
            await call.ErrorAsync(404, Codes.NotFound, $"Provided external ID field does not exist or is not accessible: {fieldName}");
            return;
        }

        if (HttpMethods.IsPatch(call.Method) || (HttpMethods.IsPost(call.Method) && field.Type == FieldType.Id))
        {
            await UpsertAsync(call, schema, field, value);
            return;
        }

        var matches = field.Type == FieldType.Id
            ? Org.Find(value) is { IsDeleted: false } byId && byId.Schema == schema ? [byId] : []
            : Org.FindBy(schema.Name, field.Name, value);
        if (matches.Count > 1)
        {
            await MultipleChoicesAsync(call, schema, matches.Select(m => m.Id));
            return;
        }

        if (matches.Count == 0)
        {
            await call.NotFoundAsync();
            return;
        }

        await RespondToRecordAsync(call, matches[0]);
    }

    private async Task UpsertAsync(RestCall call, SObjectSchema schema, FieldSchema field, string value)
    {
        if (await call.ReadJsonAsync() is not JsonObject body)
        {
            if (!call.Context.Response.HasStarted)
            {
                await call.ErrorAsync(400, Codes.JsonParserError, "The request body must be a JSON object");
            }

            return;
        }

        var fields = RecordJson.Fields(body);
        fields.RemoveAll(f => f.Key.Equals(field.Name, StringComparison.OrdinalIgnoreCase));
        fields.Insert(0, KeyValuePair.Create(field.Name, (JsonNode?)JsonValue.Create(value)));
        var request = new SaveRequest { Operation = SaveOperation.Upsert, ObjectName = schema.Name, ExternalIdField = field.Name, Fields = fields };
        var result = Org.Save([request], state.SaveOptions(false, call.UserId, call.ChangeOrigin))[0];
        if (result.MultipleMatches.Count > 0)
        {
            await MultipleChoicesAsync(call, schema, result.MultipleMatches);
            return;
        }

        if (!result.Success)
        {
            await SalesforceResponses.ErrorAsync(call.Context, 400, result.Errors[0]);
            return;
        }

        var answer = new JsonObject { ["id"] = result.Id, ["success"] = true, ["errors"] = new JsonArray(), ["created"] = result.Created };
        if (result.Created)
        {
            call.Context.Response.Headers.Location = $"{call.BasePath}/sobjects/{schema.Name}/{result.Id}";
            await call.JsonAsync(201, answer);
        }
        else if (call.VersionNumber >= 46.0)
        {
            // Since API 46.0 an upsert that updates answers 200 with a body; before, 204 without one.
            await call.JsonAsync(200, answer);
        }
        else
        {
            call.Context.Response.StatusCode = 204;
        }
    }

    private async Task UpdatedAsync(RestCall call, SObjectSchema schema)
    {
        if (await WindowAsync(call, UpdatedWindow) is not { } window)
        {
            return;
        }

        var ids = Org.Updated(schema.Name, window.Start, window.End).Select(r => (JsonNode?)r.Id);
        await call.JsonAsync(200, new JsonObject
        {
            ["ids"] = new JsonArray([.. ids]),
            ["latestDateCovered"] = FieldValues.FormatDateTime(window.End),
        });
    }

    private async Task DeletedAsync(RestCall call, SObjectSchema schema)
    {
        if (await WindowAsync(call, DeletedWindow) is not { } window)
        {
            return;
        }

        var deleted = Org.Deleted(schema.Name, window.Start, window.End);
        var earliest = Org.Now() - DeletedWindow;
        await call.JsonAsync(200, new JsonObject
        {
            ["deletedRecords"] = new JsonArray([.. deleted.Select(d => (JsonNode)new JsonObject { ["id"] = d.Id, ["deletedDate"] = FieldValues.FormatDateTime(d.DeletedDate) })]),
            ["earliestDateAvailable"] = FieldValues.FormatDateTime(new DateTimeOffset(earliest.Ticks - (earliest.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero)),
            ["latestDateCovered"] = FieldValues.FormatDateTime(window.End),
        });
    }

    /// <summary>
    /// Reads <c>start</c> and <c>end</c>. Salesforce covers whole minutes: the end is cut to the minute and
    /// to now, so <c>latestDateCovered</c> is a safe start for the next poll.
    /// </summary>
    private async Task<(DateTimeOffset Start, DateTimeOffset End)?> WindowAsync(RestCall call, TimeSpan reach)
    {
        if (!HttpMethods.IsGet(call.Method))
        {
            await call.MethodNotAllowedAsync("GET", "HEAD");
            return null;
        }

        var startText = call.Query("start");
        var endText = call.Query("end");
        if (startText.Length == 0 || endText.Length == 0)
        {
            await call.ErrorAsync(400, Codes.MissingArgument, "start and end are required");
            return null;
        }

        if (!FieldValues.TryParseDateTime(startText, out var start) || !FieldValues.TryParseDateTime(endText, out var end))
        {
            await call.ErrorAsync(400, "INVALID_REPLICATION_DATE", $"Invalid date: start={startText}, end={endText}");
            return null;
        }

        var now = Org.Now();
        if (start < now - reach)
        {
            await call.ErrorAsync(400, "INVALID_REPLICATION_DATE", $"startDate cannot be more than {reach.TotalDays:0} days ago");
            return null;
        }

        if (end <= start)
        {
            await call.ErrorAsync(400, "INVALID_REPLICATION_DATE", "endDate must chronologically follow the startDate");
            return null;
        }

        var covered = end < now ? end : now;
        covered = new DateTimeOffset(covered.Ticks - (covered.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        return (start, covered < start ? start : covered);
    }

    private static async Task NoContentOrErrorAsync(RestCall call, SaveResult result)
    {
        if (result.Success)
        {
            call.Context.Response.StatusCode = 204;
            return;
        }

        var status = result.Errors[0].StatusCode == Codes.EntityIsDeleted ? 404 : 400;
        await SalesforceResponses.ErrorAsync(call.Context, status, result.Errors[0]);
    }

    private static Task MultipleChoicesAsync(RestCall call, SObjectSchema schema, IEnumerable<string> ids) =>
        call.JsonAsync(300, new JsonArray([.. ids.Select(id => (JsonNode?)$"{call.BasePath}/sobjects/{schema.Name}/{id}")]));
}
